// CheckpointConversion: any checkpoint we can read (a PyTorch `.pth` in zip or legacy format, or
// safetensors) written as a safetensors model checkpoint: the state-dict keys (a DataParallel
// `module.` prefix dropped, a `state_dict`/`model` wrapper unwrapped), F32 for every floating
// tensor and I64 for every integer one, so that what `mtaf-mpi convert` writes loads exactly as
// the `.pth` itself would.

/// Converting checkpoints to safetensors.
public enum CheckpointConversion {
    /// What a conversion wrote.
    public struct Summary: Equatable, Sendable {
        public let format: CheckpointReader.Format
        public let floatTensors: Int
        public let integerTensors: Int
    }

    /// Reads `input` and writes its tensors to `output` (atomically). Non-finite floats are
    /// refused, naming the file and tensor.
    ///
    /// - Parameters:
    ///   - input: A `.pth` (zip or legacy) or safetensors file.
    ///   - output: The safetensors file to write.
    ///   - note: Receives what the reader did beyond reading (unwrapping, prefix stripping).
    @discardableResult
    public static func convert(_ input: String, to output: String,
                               note: (String) -> Void) throws(CheckpointError) -> Summary {
        let format = try CheckpointReader.format(of: input)
        let file = try CheckpointReader.read(contentsOf: input, note: note)
        var tensors: [String: SafeTensors.Value] = [:]
        var floats = 0
        do {
            for name in file.names {
                if file.entries[name]!.dtype.isFloat {
                    tensors[name] = .f32(try file.tensor(name))
                    floats += 1
                } else {
                    let (shape, values) = try file.int64s(name)
                    tensors[name] = .i64(shape: shape, values: values)
                }
            }
            try SafeTensors.write(tensors, metadata: file.metadata, to: output)
        } catch let error as SafeTensorsError {
            throw .file(error)
        } catch {
            throw .file(.io(path: output, call: "write", errno: 0))
        }
        return Summary(format: format, floatTensors: floats, integerTensors: tensors.count - floats)
    }
}
