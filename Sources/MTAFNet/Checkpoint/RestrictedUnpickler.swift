// RestrictedUnpickler: pickle protocols 2–5 as torch.save writes them, with torch.load
// weights_only semantics. Only plain values (None, bool, int, float, str, bytes), tuples, lists,
// dicts/OrderedDicts, storages (persistent ids) and tensors (`_rebuild_tensor[_v2]`,
// `_rebuild_parameter[_with_state]`, `torch.Size`) can be built; the allowed globals are listed in
// `PickleGlobal`. Any other global, a REDUCE of anything else, an unknown or unsupported opcode,
// and a truncated or malformed stream are refused with the stream, the byte offset and the
// opcode or global. Every length is checked against the bytes left before anything is allocated;
// the stack, the memo and the number of compound values are bounded.

import Foundation

struct RestrictedUnpickler {
    /// The most values the stack, and the memo, may hold.
    static let maxEntries = 1 << 20
    /// The most tuples, lists, dicts and tensors all pickles of a file may build together (a
    /// state dict of ResNet-101 builds about 4000).
    static let maxCompounds = 1 << 22
    /// The file (for errors and the storage-size bound).
    let path: String
    /// The file's length: no storage may declare more bytes.
    let fileLength: Int
    /// Where every compound value of every pickle read so far lives.
    var arena = PickleArena()

    init(path: String, fileLength: Int) {
        self.path = path
        self.fileLength = fileLength
    }

    /// The names of the opcodes this reader knows but refuses, for errors.
    private static let refusedOpcodes: [UInt8: String] = [
        0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING", 0x56: "UNICODE", 0x50: "PERSID",
        0x67: "GET", 0x70: "PUT", 0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX",
        0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET",
        0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
    ]

    /// Reads one pickle starting at `start`.
    ///
    /// - Parameters:
    ///   - bytes: Holds the pickle (and possibly more after it).
    ///   - start: The pickle's first byte.
    ///   - stream: The stream's name for errors (`data.pkl`, `main pickle`, …).
    /// - Returns: The pickled value and the offset just past its STOP opcode.
    mutating func load(_ bytes: [UInt8], from start: Int, stream: String) throws(PyTorchFileError)
        -> (value: PickleValue, end: Int) {
        let path = self.path   // the nested functions must not capture `self`, which REDUCE mutates
        var position = start
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var at = start
        var opcodeName = "start"

        func fail(_ reason: String) -> PyTorchFileError {
            .pickle(path: path, stream: stream, offset: at, reason: "\(opcodeName): \(reason)")
        }
        func take(_ count: Int) throws(PyTorchFileError) -> Range<Int> {
            guard count >= 0, count <= bytes.count - position else {
                throw fail("needs \(count) bytes, \(bytes.count - position) left (truncated stream)")
            }
            defer { position += count }
            return position ..< position + count
        }
        func unsigned(_ count: Int) throws(PyTorchFileError) -> UInt64 {
            let range = try take(count)
            var value: UInt64 = 0
            for (i, byte) in bytes[range].enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
            return value
        }
        func length(_ count: Int) throws(PyTorchFileError) -> Int {
            let value = try unsigned(count)
            guard value <= UInt64(bytes.count - position) else {
                throw fail("length \(value) runs past the end of the stream (\(bytes.count - position) bytes left)")
            }
            return Int(value)
        }
        func push(_ value: PickleValue) throws(PyTorchFileError) {
            guard stack.count < Self.maxEntries else { throw fail("more than \(Self.maxEntries) values on the stack") }
            stack.append(value)
        }
        func pop() throws(PyTorchFileError) -> PickleValue {
            guard stack.count > (marks.last ?? 0), let value = stack.popLast() else { throw fail("stack underflow") }
            return value
        }
        func top() throws(PyTorchFileError) -> PickleValue {
            guard stack.count > (marks.last ?? 0), let value = stack.last else { throw fail("stack underflow") }
            return value
        }
        func popMark() throws(PyTorchFileError) -> [PickleValue] {
            guard let mark = marks.popLast() else { throw fail("no MARK before it") }
            let items = Array(stack[mark...])
            stack.removeSubrange(mark...)
            return items
        }
        func text(_ range: Range<Int>, latin1Fallback: Bool) throws(PyTorchFileError) -> String {
            if let string = String(bytes: bytes[range], encoding: .utf8) { return string }
            if latin1Fallback, let string = String(bytes: bytes[range], encoding: .isoLatin1) { return string }
            throw fail("the string is not valid UTF-8")
        }
        func line() throws(PyTorchFileError) -> String {
            let limit = min(bytes.count, position + 256)
            guard let newline = bytes[position ..< limit].firstIndex(of: 0x0A) else {
                throw fail("no newline within 256 bytes")
            }
            let range = position ..< newline
            position = newline + 1
            return try text(range, latin1Fallback: false)
        }
        func memoize(_ index: Int) throws(PyTorchFileError) {
            guard memo.count < Self.maxEntries || memo[index] != nil else {
                throw fail("more than \(Self.maxEntries) memo entries")
            }
            memo[index] = try top()
        }
        func recall(_ index: Int) throws(PyTorchFileError) {
            guard let value = memo[index] else { throw fail("memo entry \(index) was never stored") }
            try push(value)
        }
        func pairs(_ items: [PickleValue]) throws(PyTorchFileError) -> [(key: PickleValue, value: PickleValue)] {
            guard items.count % 2 == 0 else { throw fail("odd number of items (\(items.count)) for key-value pairs") }
            return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
        }
        func global(_ module: String, _ name: String) throws(PyTorchFileError) -> PickleValue {
            guard let allowed = PickleGlobal(module: module, name: name) else {
                throw .forbiddenGlobal(path: path, stream: stream, offset: at, name: module + "." + name)
            }
            return .global(allowed)
        }

        while true {
            guard arena.compoundCount < Self.maxCompounds else {
                throw fail("more than \(Self.maxCompounds) tuples, lists, dicts and tensors")
            }
            at = position
            opcodeName = "opcode"
            let opcode = bytes[try take(1)].first!
            opcodeName = Self.name(of: opcode)
            switch opcode {
            case 0x80:   // PROTO
                let version = bytes[try take(1)].first!
                guard (2 ... 5).contains(version) else { throw fail("protocol \(version) is not supported (2 to 5 are)") }
            case 0x95:   // FRAME: a length hint only
                _ = try length(8)
            case 0x2E:   // STOP
                let value = try pop()
                return (value, position)
            case 0x28:   // MARK
                guard marks.count < Self.maxEntries else { throw fail("too many marks") }
                marks.append(stack.count)
            case 0x30:   // POP
                _ = try pop()
            case 0x31:   // POP_MARK
                _ = try popMark()
            case 0x32:   // DUP
                try push(try top())
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4A:   // BININT
                try push(.int(Int(Int32(truncatingIfNeeded: UInt32(try unsigned(4))))))
            case 0x4B:   // BININT1
                try push(.int(Int(try unsigned(1))))
            case 0x4D:   // BININT2
                try push(.int(Int(try unsigned(2))))
            case 0x8A, 0x8B:   // LONG1, LONG4
                let count: Int
                if opcode == 0x8A {
                    count = Int(try unsigned(1))
                } else {
                    let declared = Int32(truncatingIfNeeded: UInt32(try unsigned(4)))
                    guard declared >= 0 else { throw fail("negative length \(declared)") }
                    count = Int(declared)
                }
                let digits = Array(bytes[try take(count)])
                try push(Self.integer(littleEndian: digits))
            case 0x47:   // BINFLOAT (big-endian)
                let range = try take(8)
                var bits: UInt64 = 0
                for byte in bytes[range] { bits = bits << 8 | UInt64(byte) }
                try push(.float(Double(bitPattern: bits)))
            case 0x58, 0x8C, 0x8D:   // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
                let count = try length(opcode == 0x58 ? 4 : opcode == 0x8C ? 1 : 8)
                try push(.string(try text(try take(count), latin1Fallback: false)))
            case 0x55, 0x54:   // SHORT_BINSTRING, BINSTRING: Python 2 str, read as text
                let count = try length(opcode == 0x55 ? 1 : 4)
                try push(.string(try text(try take(count), latin1Fallback: true)))
            case 0x43, 0x42, 0x8E, 0x96:   // SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8
                let count = try length(opcode == 0x43 ? 1 : opcode == 0x42 ? 4 : 8)
                try push(.bytes(Array(bytes[try take(count)])))
            case 0x5D: try push(arena.list([]))   // EMPTY_LIST
            case 0x6C: try push(arena.list(try popMark()))   // LIST
            case 0x61, 0x65:   // APPEND, APPENDS
                let items = opcode == 0x61 ? [try pop()] : try popMark()
                guard case let .list(id) = try top() else { throw fail("appending to a \(try top().kind), not a list") }
                arena.lists[id].append(contentsOf: items)
            case 0x29: try push(arena.tuple([]))   // EMPTY_TUPLE
            case 0x74: try push(arena.tuple(try popMark()))   // TUPLE
            case 0x85, 0x86, 0x87:   // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                for _ in 0 ..< Int(opcode - 0x84) { items.insert(try pop(), at: 0) }
                try push(arena.tuple(items))
            case 0x7D: try push(arena.dict())   // EMPTY_DICT
            case 0x64:   // DICT
                let entries = try pairs(try popMark())
                let dict = arena.dict()
                if case let .dict(id) = dict { arena.dicts[id] = entries }
                try push(dict)
            case 0x73, 0x75:   // SETITEM, SETITEMS
                let entries: [(key: PickleValue, value: PickleValue)]
                if opcode == 0x73 {
                    let value = try pop()
                    entries = [(try pop(), value)]
                } else {
                    entries = try pairs(try popMark())
                }
                guard case let .dict(id) = try top() else { throw fail("setting items of a \(try top().kind), not a dict") }
                arena.dicts[id].append(contentsOf: entries)
            case 0x63:   // GLOBAL "module\nname\n"
                let module = try line()
                try push(try global(module, try line()))
            case 0x93:   // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case let .string(moduleName) = module, case let .string(globalName) = name else {
                    throw fail("module and name are a \(module.kind) and a \(name.kind), not strings")
                }
                try push(try global(moduleName, globalName))
            case 0x52:   // REDUCE
                let arguments = try pop(), callable = try pop()
                try push(try reduce(callable, arguments, fail: fail))
            case 0x62:   // BUILD: only an OrderedDict's attributes (a state dict's `_metadata`), ignored
                let state = try pop()
                guard case .dict = try top() else { throw fail("BUILD of a \(try top().kind) is not allowed") }
                switch state {
                case .dict, .none, .tuple: break
                default: throw fail("BUILD with a \(state.kind) state is not allowed")
                }
            case 0x51:   // BINPERSID
                let reference = try storage(try pop(), fail: fail)
                arena.storages.append(reference)
                try push(.storage(reference))
            case 0x68: try recall(Int(try unsigned(1)))   // BINGET
            case 0x6A: try recall(Int(try unsigned(4)))   // LONG_BINGET
            case 0x71: try memoize(Int(try unsigned(1)))   // BINPUT
            case 0x72: try memoize(Int(try unsigned(4)))   // LONG_BINPUT
            case 0x94: try memoize(memo.count)   // MEMOIZE
            default:
                if let name = Self.refusedOpcodes[opcode] {
                    throw fail("opcode \(name) is not allowed")
                }
                throw fail("unknown opcode")
            }
        }
    }

    /// The opcode's name with its byte, for errors.
    static func name(of opcode: UInt8) -> String {
        let names: [UInt8: String] = [
            0x80: "PROTO", 0x95: "FRAME", 0x2E: "STOP", 0x28: "MARK", 0x30: "POP", 0x31: "POP_MARK", 0x32: "DUP",
            0x4E: "NONE", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x4A: "BININT", 0x4B: "BININT1", 0x4D: "BININT2",
            0x8A: "LONG1", 0x8B: "LONG4", 0x47: "BINFLOAT", 0x58: "BINUNICODE", 0x8C: "SHORT_BINUNICODE",
            0x8D: "BINUNICODE8", 0x55: "SHORT_BINSTRING", 0x54: "BINSTRING", 0x43: "SHORT_BINBYTES",
            0x42: "BINBYTES", 0x8E: "BINBYTES8", 0x96: "BYTEARRAY8", 0x5D: "EMPTY_LIST", 0x6C: "LIST",
            0x61: "APPEND", 0x65: "APPENDS", 0x29: "EMPTY_TUPLE", 0x74: "TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2",
            0x87: "TUPLE3", 0x7D: "EMPTY_DICT", 0x64: "DICT", 0x73: "SETITEM", 0x75: "SETITEMS", 0x63: "GLOBAL",
            0x93: "STACK_GLOBAL", 0x52: "REDUCE", 0x62: "BUILD", 0x51: "BINPERSID", 0x68: "BINGET",
            0x6A: "LONG_BINGET", 0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x94: "MEMOIZE",
        ]
        let hex = "0x" + (opcode < 16 ? "0" : "") + String(opcode, radix: 16)
        return "opcode \(names[opcode] ?? refusedOpcodes[opcode] ?? "?") (\(hex))"
    }

    /// A LONG1/LONG4 integer: little-endian two's complement.
    static func integer(littleEndian digits: [UInt8]) -> PickleValue {
        guard digits.count <= 8 else { return .bigInt(digits) }
        guard let last = digits.last else { return .int(0) }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0
        for (i, byte) in digits.enumerated() {
            value &= ~(0xFF << (8 * UInt64(i)))
            value |= UInt64(byte) << (8 * UInt64(i))
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    /// REDUCE: calls one of the allowed callables.
    private mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue,
                                 fail: (String) -> PyTorchFileError) throws(PyTorchFileError) -> PickleValue {
        guard case let .global(function) = callable else { throw fail("calling a \(callable.kind) is not allowed") }
        guard case let .tuple(id) = arguments else { throw fail("the arguments are a \(arguments.kind), not a tuple") }
        let args = arena.tuples[id]
        switch function {
        case .orderedDict:
            let dict = arena.dict()
            guard case let .dict(dictID) = dict else { return dict }
            if let first = args.first {
                // Python 2's OrderedDict.__reduce__ passes its items as a list of [key, value].
                guard args.count == 1, case let .list(listID) = first else {
                    throw fail("OrderedDict takes no arguments or one list of items")
                }
                for item in arena.lists[listID] {
                    guard let pair = arena.items(item), pair.count == 2 else {
                        throw fail("an OrderedDict item is not a key-value pair")
                    }
                    arena.dicts[dictID].append((pair[0], pair[1]))
                }
            }
            return dict
        case .rebuildTensor, .rebuildTensorV2:
            let arity = function == .rebuildTensor ? 4 ... 4 : 6 ... 7
            guard arity.contains(args.count) else { throw fail("tensor rebuild with \(args.count) arguments") }
            guard case let .storage(storage) = args[0] else { throw fail("tensor rebuild from a \(args[0].kind), not a storage") }
            guard case let .int(offset) = args[1] else { throw fail("the storage offset is a \(args[1].kind)") }
            let size = try integers(args[2], "size", fail: fail), stride = try integers(args[3], "stride", fail: fail)
            arena.tensors.append(TorchTensorRecord(storage: storage, offset: offset, size: size, stride: stride))
            return .tensor(arena.tensors.count - 1)
        case .rebuildParameter, .rebuildParameterWithState:
            guard args.count == (function == .rebuildParameter ? 3 : 4), case .tensor = args[0] else {
                throw fail("parameter rebuild without a tensor")
            }
            return args[0]
        case .codecsEncode:
            guard args.count == 2, case let .string(text) = args[0], case let .string(encoding) = args[1],
                  ["latin1", "latin-1"].contains(encoding.lowercased()) else {
                throw fail("_codecs.encode is only allowed as (str, 'latin1')")
            }
            var out: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw fail("_codecs.encode: a character beyond latin1") }
                out.append(UInt8(scalar.value))
            }
            return .bytes(out)
        case .size:
            guard args.count == 1, let extents = arena.items(args[0]) else { throw fail("torch.Size takes one tuple") }
            return arena.tuple(extents)
        case .storageClass, .dtype:
            throw fail("calling a storage class or dtype is not allowed")
        }
    }

    /// A tuple or list of integers (a tensor's size or stride), at most 64 of them.
    private func integers(_ value: PickleValue, _ what: String, fail: (String) -> PyTorchFileError) throws(PyTorchFileError) -> [Int] {
        guard let items = arena.items(value), items.count <= 64 else {
            throw fail("the tensor's \(what) is a \(value.kind), not a tuple of at most 64 integers")
        }
        var out: [Int] = []
        for item in items {
            guard case let .int(number) = item else { throw fail("the tensor's \(what) holds a \(item.kind)") }
            out.append(number)
        }
        return out
    }

    /// A persistent id `('storage', storage class or dtype, key, location, numel[, view])`.
    private func storage(_ id: PickleValue, fail: (String) -> PyTorchFileError) throws(PyTorchFileError) -> TorchStorageReference {
        guard let fields = arena.items(id), fields.count == 5 || fields.count == 6,
              case let .string(kind) = fields[0], kind == "storage" else {
            throw fail("the persistent id is not ('storage', type, key, location, size)")
        }
        let dtype: TorchDType
        switch fields[1] {
        case let .global(.storageClass(type)), let .global(.dtype(type)): dtype = type
        default: throw fail("the storage type is a \(fields[1].kind), not a storage class or dtype")
        }
        let key: String
        switch fields[2] {
        case let .string(text): key = text
        case let .int(number): key = String(number)
        default: throw fail("the storage key is a \(fields[2].kind)")
        }
        guard case let .int(count) = fields[4], count >= 0, count <= fileLength / dtype.byteSize else {
            throw fail("storage '\(key)' declares \(fields[4]) elements of \(dtype.byteSize) bytes; the file has \(fileLength)")
        }
        var reference = TorchStorageReference(key: key, dtype: dtype, declaredCount: count)
        if fields.count == 6, let view = arena.items(fields[5]) {
            // Old torch saved storage views as (view key, offset, size) into the root storage.
            guard view.count == 3, case let .int(offset) = view[1], case let .int(length) = view[2],
                  offset >= 0, length >= 0, offset <= count, length <= count - offset else {
                throw fail("storage '\(key)' has a view outside its \(count) elements")
            }
            reference.viewOffset = offset
            reference.viewCount = length
        }
        return reference
    }
}
