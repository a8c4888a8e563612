import Foundation
@testable import MTAFNet

/// A tiny reader of our TensorBoard event files for the tests: the TFRecord framing (checking
/// both masked CRCs) and just enough protobuf decoding for Event / Summary / Value / Image.
struct EventFileReader {
    struct Value {
        var tag = ""
        var simpleValue: Float?
        var imageWidth = 0, imageHeight = 0, imageColorspace = 0
        var png: [UInt8]?
    }

    struct Event {
        var wallTime = 0.0
        var step = 0
        var fileVersion: String?
        var sessionStatus: Int?
        var values: [Value] = []
    }

    enum ReadError: Error, CustomStringConvertible {
        case bad(String)
        var description: String { if case let .bad(text) = self { text } else { "" } }
    }

    /// The records of a file, after checking the framing.
    static func records(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        var at = 0
        func uint32(_ i: Int) -> UInt32 { (0 ..< 4).reduce(0) { $0 | UInt32(bytes[i + $1]) << (8 * $1) } }
        while at < bytes.count {
            guard at + 12 <= bytes.count else { throw ReadError.bad("truncated header at \(at)") }
            let header = Array(bytes[at ..< at + 8])
            let length = Int((0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(header[$1]) << (8 * $1) })
            guard uint32(at + 8) == CRC32C.masked(CRC32C.checksum(header)) else { throw ReadError.bad("length CRC at \(at)") }
            let start = at + 12
            guard start + length + 4 <= bytes.count else { throw ReadError.bad("truncated record at \(at)") }
            let data = Array(bytes[start ..< start + length])
            guard uint32(start + length) == CRC32C.masked(CRC32C.checksum(data)) else { throw ReadError.bad("data CRC at \(at)") }
            records.append(data)
            at = start + length + 4
        }
        return records
    }

    /// (field, wire type, varint or fixed value, length-delimited bytes) of a message.
    static func fields(_ bytes: [UInt8]) throws -> [(field: Int, wire: Int, number: UInt64, data: [UInt8])] {
        var out: [(Int, Int, UInt64, [UInt8])] = []
        var at = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard at < bytes.count else { throw ReadError.bad("truncated varint") }
                let byte = bytes[at]
                at += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func fixed(_ n: Int) throws -> UInt64 {
            guard at + n <= bytes.count else { throw ReadError.bad("truncated fixed") }
            defer { at += n }
            return (0 ..< n).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        while at < bytes.count {
            let key = try varint()
            let field = Int(key >> 3), wire = Int(key & 7)
            switch wire {
            case 0: out.append((field, wire, try varint(), []))
            case 1: out.append((field, wire, try fixed(8), []))
            case 5: out.append((field, wire, try fixed(4), []))
            case 2:
                let length = Int(try varint())
                guard at + length <= bytes.count else { throw ReadError.bad("truncated bytes") }
                out.append((field, wire, 0, Array(bytes[at ..< at + length])))
                at += length
            default: throw ReadError.bad("wire type \(wire)")
            }
        }
        return out
    }

    static func event(_ record: [UInt8]) throws -> Event {
        var event = Event()
        for f in try fields(record) {
            switch (f.field, f.wire) {
            case (1, 1): event.wallTime = Double(bitPattern: f.number)
            case (2, 0): event.step = Int(Int64(bitPattern: f.number))
            case (3, 2): event.fileVersion = String(decoding: f.data, as: UTF8.self)
            case (7, 2): event.sessionStatus = try fields(f.data).first { $0.field == 1 }.map { Int($0.number) } ?? 0
            case (5, 2):
                for v in try fields(f.data) where v.field == 1 && v.wire == 2 {
                    var value = Value()
                    for g in try fields(v.data) {
                        switch (g.field, g.wire) {
                        case (1, 2): value.tag = String(decoding: g.data, as: UTF8.self)
                        case (2, 5): value.simpleValue = Float(bitPattern: UInt32(g.number))
                        case (4, 2):
                            for h in try fields(g.data) {
                                switch (h.field, h.wire) {
                                case (1, 0): value.imageHeight = Int(h.number)
                                case (2, 0): value.imageWidth = Int(h.number)
                                case (3, 0): value.imageColorspace = Int(h.number)
                                case (4, 2): value.png = h.data
                                default: throw ReadError.bad("Image field \(h.field)")
                                }
                            }
                        default: throw ReadError.bad("Value field \(g.field)")
                        }
                    }
                    event.values.append(value)
                }
            default: throw ReadError.bad("Event field \(f.field) wire \(f.wire)")
            }
        }
        return event
    }

    /// Every event of a file.
    static func events(atPath path: String) throws -> [Event] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try records(Array(data)).map(event)
    }
}
