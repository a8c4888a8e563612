import CMPI

// The only file that calls MPI (architecture §1.1). Every call goes through `check`, which turns
// a non-success return code into an `MPIError` naming the call, the rank and MPI's own message.

typealias CommunicatorHandle = MPI_Comm
typealias DatatypeHandle = MPI_Datatype
typealias RequestHandle = MPI_Request

enum MPICalls {
    /// MPI's message for an error code (`MPI_Error_string`).
    static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(mtaf_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &buffer, &length) == MPI_SUCCESS else { return "MPI error \(code)" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func check(_ code: Int32, _ call: String, rank: Int) throws(MPIError) {
        if code != MPI_SUCCESS {
            throw MPIError.call(name: call, rank: rank, code: code, message: errorString(code))
        }
    }

    // MARK: Environment

    static func isInitialized() -> Bool {
        var flag: Int32 = 0
        MPI_Initialized(&flag)
        return flag != 0
    }

    static func isFinalized() -> Bool {
        var flag: Int32 = 0
        MPI_Finalized(&flag)
        return flag != 0
    }

    static func initThread(required: Int32) throws(MPIError) -> Int32 {
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, required, &provided), "MPI_Init_thread", rank: -1)
        try check(MPI_Comm_set_errhandler(mtaf_comm_world(), mtaf_errors_return()),
                  "MPI_Comm_set_errhandler", rank: -1)
        return provided
    }

    static func finalize() throws(MPIError) {
        try check(MPI_Finalize(), "MPI_Finalize", rank: -1)
    }

    static func abort(_ comm: CommunicatorHandle, code: Int32) -> Never {
        MPI_Abort(comm, code)
        fatalError("MPI_Abort returned")
    }

    static var world: CommunicatorHandle { mtaf_comm_world() }
    static var threadFunneled: Int32 { Int32(MPI_THREAD_FUNNELED) }
    static var threadSerialized: Int32 { Int32(MPI_THREAD_SERIALIZED) }
    static var threadMultiple: Int32 { Int32(MPI_THREAD_MULTIPLE) }
    static var threadSingle: Int32 { Int32(MPI_THREAD_SINGLE) }

    static func processorName() -> String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        guard MPI_Get_processor_name(&buffer, &length) == MPI_SUCCESS else { return "unknown" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Communicators

    static func rank(_ comm: CommunicatorHandle) throws(MPIError) -> Int {
        var value: Int32 = 0
        try check(MPI_Comm_rank(comm, &value), "MPI_Comm_rank", rank: -1)
        return Int(value)
    }

    static func size(_ comm: CommunicatorHandle, rank: Int) throws(MPIError) -> Int {
        var value: Int32 = 0
        try check(MPI_Comm_size(comm, &value), "MPI_Comm_size", rank: rank)
        return Int(value)
    }

    /// `MPI_Comm_split`; a nil color is MPI_UNDEFINED and yields nil.
    static func split(_ comm: CommunicatorHandle, color: Int?, key: Int, rank: Int) throws(MPIError) -> CommunicatorHandle? {
        var result: MPI_Comm? = mtaf_comm_null()
        let mpiColor = color.map { Int32($0) } ?? mtaf_undefined()
        try check(MPI_Comm_split(comm, mpiColor, Int32(key), &result), "MPI_Comm_split", rank: rank)
        guard let handle = result, handle != mtaf_comm_null() else { return nil }
        try check(MPI_Comm_set_errhandler(handle, mtaf_errors_return()), "MPI_Comm_set_errhandler", rank: rank)
        return handle
    }

    static func free(_ comm: CommunicatorHandle) {
        var handle: MPI_Comm? = comm
        MPI_Comm_free(&handle)
    }

    // MARK: Collectives (counts already fit in Int32: `Communicator` chunks)

    static func barrier(_ comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Barrier(comm), "MPI_Barrier", rank: rank)
    }

    static func broadcast(_ buffer: UnsafeMutableRawPointer?, count: Int32, type: DatatypeHandle, root: Int32,
                          comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Bcast(buffer, count, type, root, comm), "MPI_Bcast", rank: rank)
    }

    /// `MPI_Allreduce`; a nil `send` reduces in place.
    static func allreduce(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32,
                          type: DatatypeHandle, op: ReduceOp, comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Allreduce(send ?? UnsafeRawPointer(mtaf_in_place()), recv, count, type, op.handle, comm),
                  "MPI_Allreduce", rank: rank)
    }

    static func iallreduce(_ buffer: UnsafeMutableRawPointer?, count: Int32, type: DatatypeHandle, op: ReduceOp,
                           comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Iallreduce(mtaf_in_place(), buffer, count, type, op.handle, comm, &request),
                  "MPI_Iallreduce", rank: rank)
        return request!
    }

    /// `MPI_Test`: whether the request completed; also drives Open MPI's progress engine, which
    /// advances nonblocking collectives only inside MPI calls.
    static func test(_ request: RequestHandle, rank: Int) throws(MPIError) -> Bool {
        var handle: MPI_Request? = request
        var flag: Int32 = 0
        try check(MPI_Test(&handle, &flag, mtaf_status_ignore()), "MPI_Test", rank: rank)
        return flag != 0
    }

    static func wait(_ request: RequestHandle, rank: Int) throws(MPIError) {
        var handle: MPI_Request? = request
        try check(MPI_Wait(&handle, mtaf_status_ignore()), "MPI_Wait", rank: rank)
    }

    /// `MPI_Reduce`; a nil `send` reduces in place at the root.
    static func reduce(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32, type: DatatypeHandle,
                       op: ReduceOp, root: Int32, comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Reduce(send ?? UnsafeRawPointer(mtaf_in_place()), recv, count, type, op.handle, root, comm),
                  "MPI_Reduce", rank: rank)
    }

    static func allgather(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32,
                          type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Allgather(send, count, type, recv, count, type, comm), "MPI_Allgather", rank: rank)
    }

    static func allgatherv(_ send: UnsafeRawPointer?, sendCount: Int32, _ recv: UnsafeMutableRawPointer?,
                           counts: [Int32], displacements: [Int32], type: DatatypeHandle,
                           comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Allgatherv(send, sendCount, type, recv, counts, displacements, type, comm),
                  "MPI_Allgatherv", rank: rank)
    }

    static func alltoallv(_ send: UnsafeRawPointer?, sendCounts: [Int32], sendDisplacements: [Int32],
                          _ recv: UnsafeMutableRawPointer?, recvCounts: [Int32], recvDisplacements: [Int32],
                          type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Alltoallv(send, sendCounts, sendDisplacements, type, recv, recvCounts, recvDisplacements,
                                type, comm), "MPI_Alltoallv", rank: rank)
    }

    static func alltoall(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32,
                         type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) {
        try check(MPI_Alltoall(send, count, type, recv, count, type, comm), "MPI_Alltoall", rank: rank)
    }

    static func isend(_ buffer: UnsafeRawPointer?, count: Int32, destination: Int32, tag: Int32,
                      type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Isend(buffer, count, type, destination, tag, comm, &request), "MPI_Isend", rank: rank)
        return request!
    }

    static func irecv(_ buffer: UnsafeMutableRawPointer?, count: Int32, source: Int32, tag: Int32,
                      type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Irecv(buffer, count, type, source, tag, comm, &request), "MPI_Irecv", rank: rank)
        return request!
    }
}

extension ReduceOp {
    var handle: MPI_Op {
        switch self {
        case .sum: mtaf_op_sum()
        case .max: mtaf_op_max()
        case .min: mtaf_op_min()
        }
    }
}

extension MPIScalarKind {
    var handle: MPI_Datatype {
        switch self {
        case .float: mtaf_type_float()
        case .double: mtaf_type_double()
        case .int32: mtaf_type_int32()
        case .int64: mtaf_type_int64()
        case .uint8: mtaf_type_uint8()
        }
    }
}
