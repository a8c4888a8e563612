// One tensor a rank sends to rank zero for a distributed snapshot (architecture §3.10), and the gather
// that moves them: a byte stream per rank, sizes allgathered, then one alltoallv onto the root.
//
// Stream layout per entry (little-endian Int64 unless noted): stem length, stem UTF-8 bytes,
// name length, name UTF-8 bytes, dtype code (0 F32, 1 I32, 2 I64, 3 U8), rank, each extent,
// then the values' bytes.

import Distributed

/// A tensor of snapshot file `stem` under `name`, written by rank zero.
struct SnapshotContribution {
    var stem: String
    var name: String
    var value: SafeTensors.Value

    /// Gathers every rank's contributions onto `root` (collective over `world`).
    ///
    /// - Returns: on the root, every other rank's entries in rank order; elsewhere, empty.
    static func gather(_ entries: [SnapshotContribution], to root: Int,
                       world: any Collectives) throws -> [SnapshotContribution] {
        let bytes = encode(entries)
        let sizes = try world.allgather(Int64(bytes.count)).map { Int($0) }
        let sendCounts = (0..<world.size).map { $0 == root ? bytes.count : 0 }
        let recvCounts = world.rank == root ? sizes : Array(repeating: 0, count: world.size)
        var received = [UInt8](repeating: 0, count: recvCounts.reduce(0, +))
        try bytes.withUnsafeBufferPointer { s in
            try received.withUnsafeMutableBufferPointer { r in
                try world.alltoallv(s, sendCounts: sendCounts, into: r, recvCounts: recvCounts)
            }
        }
        guard world.rank == root else { return [] }
        var result: [SnapshotContribution] = []
        var offset = 0
        for (r, size) in recvCounts.enumerated() {
            if r != root { result += try decode(received[offset ..< offset + size]) }
            offset += size
        }
        return result
    }

    static func encode(_ entries: [SnapshotContribution]) -> [UInt8] {
        var out: [UInt8] = []
        func int(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { out.append(contentsOf: $0) } }
        func text(_ value: String) {
            int(value.utf8.count)
            out.append(contentsOf: value.utf8)
        }
        for entry in entries {
            text(entry.stem)
            text(entry.name)
            let shape: [Int]
            switch entry.value {
            case let .f32(tensor):
                int(0)
                shape = tensor.shape
            case let .i32(s, _):
                int(1)
                shape = s
            case let .i64(s, _):
                int(2)
                shape = s
            case let .u8(s, _):
                int(3)
                shape = s
            }
            int(shape.count)
            for extent in shape { int(extent) }
            switch entry.value {
            case let .f32(tensor): tensor.withUnsafeBufferPointer { out.append(contentsOf: UnsafeRawBufferPointer($0)) }
            case let .i32(_, values): values.withUnsafeBytes { out.append(contentsOf: $0) }
            case let .i64(_, values): values.withUnsafeBytes { out.append(contentsOf: $0) }
            case let .u8(_, values): out.append(contentsOf: values)
            }
        }
        return out
    }

    static func decode(_ bytes: ArraySlice<UInt8>) throws -> [SnapshotContribution] {
        var position = bytes.startIndex
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard count >= 0, position + count <= bytes.endIndex else {
                throw SnapshotError.incomplete(file: "(gathered snapshot stream)", reason: "truncated at byte \(position)")
            }
            defer { position += count }
            return bytes[position ..< position + count]
        }
        func int() throws -> Int {
            let slice = try take(8)
            var value: Int64 = 0
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: slice) }
            return Int(Int64(littleEndian: value))
        }
        func text() throws -> String { String(decoding: try take(try int()), as: UTF8.self) }
        var result: [SnapshotContribution] = []
        while position < bytes.endIndex {
            let stem = try text(), name = try text()
            let code = try int()
            let rank = try int()
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try int()) }
            let count = shape.reduce(1, *)
            let value: SafeTensors.Value
            switch code {
            case 0:
                let data = try take(4 * count)
                let tensor = Tensor(shape: shape)
                tensor.withUnsafeMutableBufferPointer { UnsafeMutableRawBufferPointer($0).copyBytes(from: data) }
                value = .f32(tensor)
            case 1:
                let data = try take(4 * count)
                var values = [Int32](repeating: 0, count: count)
                values.withUnsafeMutableBytes { $0.copyBytes(from: data) }
                value = .i32(shape: shape, values: values)
            case 2:
                let data = try take(8 * count)
                var values = [Int64](repeating: 0, count: count)
                values.withUnsafeMutableBytes { $0.copyBytes(from: data) }
                value = .i64(shape: shape, values: values)
            default:
                value = .u8(shape: shape, values: Array(try take(count)))
            }
            result.append(SnapshotContribution(stem: stem, name: name, value: value))
        }
        return result
    }
}
