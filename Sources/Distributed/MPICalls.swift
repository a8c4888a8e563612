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

    /// `MPI_Comm_dup`, with MPI_ERRORS_RETURN.
    static func duplicate(_ comm: CommunicatorHandle, rank: Int) throws(MPIError) -> CommunicatorHandle {
        var result: MPI_Comm? = mtaf_comm_null()
        try check(MPI_Comm_dup(comm, &result), "MPI_Comm_dup", rank: rank)
        try check(MPI_Comm_set_errhandler(result, mtaf_errors_return()), "MPI_Comm_set_errhandler", rank: rank)
        return result!
    }

    // MARK: Collectives (counts already fit in Int32: `Communicator` chunks)
    //
    // Every collective starts nonblocking; `Communicator.complete` waits for it (with a deadline
    // and without spinning). The v-variants take their count arrays as pointers, which MPI reads
    // until the request completes: the caller keeps them alive until then.

    static func ibarrier(_ comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Ibarrier(comm, &request), "MPI_Ibarrier", rank: rank)
        return request!
    }

    static func ibroadcast(_ buffer: UnsafeMutableRawPointer?, count: Int32, type: DatatypeHandle, root: Int32,
                           comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Ibcast(buffer, count, type, root, comm, &request), "MPI_Ibcast", rank: rank)
        return request!
    }

    /// `MPI_Iallreduce`; a nil `send` reduces in place.
    static func iallreduce(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32,
                           type: DatatypeHandle, op: ReduceOp, comm: CommunicatorHandle,
                           rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Iallreduce(send ?? UnsafeRawPointer(mtaf_in_place()), recv, count, type, op.handle, comm, &request),
                  "MPI_Iallreduce", rank: rank)
        return request!
    }

    /// `MPI_Ireduce`; a nil `send` reduces in place at the root.
    static func ireduce(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32, type: DatatypeHandle,
                        op: ReduceOp, root: Int32, comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Ireduce(send ?? UnsafeRawPointer(mtaf_in_place()), recv, count, type, op.handle, root, comm,
                              &request), "MPI_Ireduce", rank: rank)
        return request!
    }

    static func iallgather(_ send: UnsafeRawPointer?, _ recv: UnsafeMutableRawPointer?, count: Int32,
                           type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Iallgather(send, count, type, recv, count, type, comm, &request), "MPI_Iallgather", rank: rank)
        return request!
    }

    static func iallgatherv(_ send: UnsafeRawPointer?, sendCount: Int32, _ recv: UnsafeMutableRawPointer?,
                            counts: UnsafePointer<Int32>, displacements: UnsafePointer<Int32>, type: DatatypeHandle,
                            comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Iallgatherv(send, sendCount, type, recv, counts, displacements, type, comm, &request),
                  "MPI_Iallgatherv", rank: rank)
        return request!
    }

    static func ialltoallv(_ send: UnsafeRawPointer?, sendCounts: UnsafePointer<Int32>,
                           sendDisplacements: UnsafePointer<Int32>, _ recv: UnsafeMutableRawPointer?,
                           recvCounts: UnsafePointer<Int32>, recvDisplacements: UnsafePointer<Int32>,
                           type: DatatypeHandle, comm: CommunicatorHandle, rank: Int) throws(MPIError) -> RequestHandle {
        var request: MPI_Request? = mtaf_request_null()
        try check(MPI_Ialltoallv(send, sendCounts, sendDisplacements, type, recv, recvCounts, recvDisplacements,
                                 type, comm, &request), "MPI_Ialltoallv", rank: rank)
        return request!
    }

    /// `MPI_Testall`: whether every request completed (completed ones become MPI_REQUEST_NULL).
    /// Also drives Open MPI's progress engine, which advances nonblocking operations only inside
    /// MPI calls.
    static func testAll(_ requests: inout [MPI_Request?], rank: Int) throws(MPIError) -> Bool {
        var flag: Int32 = 0
        try check(MPI_Testall(Int32(requests.count), &requests, &flag, mtaf_statuses_ignore()), "MPI_Testall", rank: rank)
        return flag != 0
    }

    /// `MPI_Iprobe` for a message with `tag` from any rank: its source, or nil.
    static func probe(tag: Int32, comm: CommunicatorHandle, rank: Int) throws(MPIError) -> Int32? {
        var flag: Int32 = 0
        var status = MPI_Status()
        try check(MPI_Iprobe(mtaf_any_source(), tag, comm, &flag, &status), "MPI_Iprobe", rank: rank)
        return flag != 0 ? status.MPI_SOURCE : nil
    }

    /// `MPI_Recv` of Int64 values.
    static func receive(_ values: inout [Int64], source: Int32, tag: Int32, comm: CommunicatorHandle,
                        rank: Int) throws(MPIError) {
        try check(MPI_Recv(&values, Int32(values.count), mtaf_type_int64(), source, tag, comm, mtaf_status_ignore()),
                  "MPI_Recv", rank: rank)
    }

    /// `MPI_Send` of a few Int64 values (sent eagerly: returns at once).
    static func send(_ values: [Int64], destination: Int32, tag: Int32, comm: CommunicatorHandle,
                     rank: Int) throws(MPIError) {
        try check(MPI_Send(values, Int32(values.count), mtaf_type_int64(), destination, tag, comm), "MPI_Send", rank: rank)
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
