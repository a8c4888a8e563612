/// The checked mode of `Communicator`: before a collective, all ranks exchange a small signature
/// (call, element type, count, operator, root) and compare. Because every rank sees every
/// signature, every rank detects a mismatch and throws the same error: nobody is left waiting.
extension Communicator {
    enum CollectiveCall: Int64, CustomStringConvertible {
        case broadcast = 1, allreduce, reduce, allgather, allgatherv, alltoallv

        var description: String {
            switch self {
            case .broadcast: "MPI_Bcast"
            case .allreduce: "MPI_Allreduce"
            case .reduce: "MPI_Reduce"
            case .allgather: "MPI_Allgather"
            case .allgatherv: "MPI_Allgatherv"
            case .alltoallv: "MPI_Alltoallv"
            }
        }
    }

    /// Signatures gathered from every rank, `fields` Int64 each.
    private func gatherSignatures(_ mine: [Int64]) throws -> [[Int64]] {
        var all = [Int64](repeating: 0, count: mine.count * size)
        try mine.withUnsafeBufferPointer { send in
            try all.withUnsafeMutableBufferPointer { recv in
                try complete([MPICalls.iallgather(UnsafeRawPointer(send.baseAddress!), UnsafeMutableRawPointer(recv.baseAddress!),
                                                  count: Int32(mine.count), type: MPIScalarKind.int64.handle, comm: handle,
                                                  rank: rank)], "MPI_Allgather (checked-mode signature)")
            }
        }
        return (0 ..< size).map { Array(all[$0 * mine.count ..< ($0 + 1) * mine.count]) }
    }

    private func describe(_ signature: [Int64]) -> String {
        let call = CollectiveCall(rawValue: signature[0]).map(\.description) ?? "call \(signature[0])"
        let kind = MPIScalarKind(rawValue: signature[1]).map(\.description) ?? "type \(signature[1])"
        return MPIError.describeCall(call, count: "\(signature[2])", kind: kind, op: ReduceOp(rawValue: signature[3]),
                                    root: signature[4] >= 0 ? Int(signature[4]) : nil)
    }

    func agree<T: MPIScalar>(_ call: CollectiveCall, _: T.Type, count: Int, op: ReduceOp? = nil,
                             root: Int? = nil) throws {
        guard checked else { return }
        let mine: [Int64] = [call.rawValue, T.mpiKind.rawValue, Int64(count), op?.rawValue ?? 0, Int64(root ?? -1)]
        let all = try gatherSignatures(mine)
        guard all.contains(where: { $0 != all[0] }) else { return }
        let details = all.enumerated().map { "rank \($0.offset): \(describe($0.element))" }.joined(separator: "; ")
        throw MPIError.mismatch(call: call.description, rank: rank, details: details)
    }

    /// For allgatherv: every rank must pass the same counts, and contribute its own entry.
    func agreeOnCounts<T: MPIScalar>(_ call: CollectiveCall, _: T.Type, counts: [Int]) throws {
        guard checked else { return }
        let mine = [call.rawValue, T.mpiKind.rawValue] + counts.map { Int64($0) }
        let all = try gatherSignatures(mine)
        guard all.contains(where: { $0 != all[0] }) else { return }
        let details = all.enumerated().map { entry in
            let kind = MPIScalarKind(rawValue: entry.element[1]).map(\.description) ?? "?"
            return "rank \(entry.offset): \(kind) counts \(entry.element.dropFirst(2).map { Int($0) })"
        }.joined(separator: "; ")
        throw MPIError.mismatch(call: call.description, rank: rank, details: details)
    }

    /// For alltoallv: rank i's send count to j must equal rank j's receive count from i.
    func agreeOnExchange<T: MPIScalar>(_: T.Type, sendCounts: [Int], recvCounts: [Int]) throws {
        guard checked else { return }
        let mine = [T.mpiKind.rawValue] + sendCounts.map { Int64($0) } + recvCounts.map { Int64($0) }
        let all = try gatherSignatures(mine)
        var problems: [String] = []
        for i in 0 ..< size {
            if all[i][0] != all[0][0] {
                problems.append("rank \(i) sends \(MPIScalarKind(rawValue: all[i][0])?.description ?? "?"), rank 0 \(MPIScalarKind(rawValue: all[0][0])?.description ?? "?")")
            }
            for j in 0 ..< size where all[i][1 + j] != all[j][1 + size + i] {
                problems.append("rank \(i) sends \(all[i][1 + j]) to rank \(j), which expects \(all[j][1 + size + i])")
            }
        }
        guard !problems.isEmpty else { return }
        throw MPIError.mismatch(call: CollectiveCall.alltoallv.description, rank: rank,
                                details: problems.joined(separator: "; "))
    }
}
