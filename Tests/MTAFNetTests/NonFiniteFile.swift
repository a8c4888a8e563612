import Foundation
@testable import MTAFNet

/// Overwrites element `element` of float tensor `tensor` in the safetensors file at `path` with
/// `value`, in place: how a file with non-finite weights is made now that writing refuses them.
func overwrite(_ tensor: String, element: Int = 0, with value: Float, inFile path: String) throws {
    let file = try SafeTensors.read(contentsOf: path)
    let entry = try file.entry(tensor)
    precondition(entry.dtype == .f32, "\(tensor) is not F32")
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seek(toOffset: UInt64(8 + headerLength + entry.dataRange.lowerBound + 4 * element))
    try handle.write(contentsOf: withUnsafeBytes(of: value.bitPattern.littleEndian) { Data($0) })
    try handle.close()
}
