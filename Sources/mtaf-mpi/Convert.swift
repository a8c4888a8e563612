import ArgumentParser
import Distributed
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi convert IN OUT.safetensors`: a `.pth` (or safetensors) checkpoint as safetensors.
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert a PyTorch .pth state dict (zip or legacy format) to a safetensors checkpoint.",
            discussion: """
                The format is detected from the file's content. Only tensors, storages, dicts and plain \
                values are read (torch.load weights_only semantics); any other pickled object is refused. \
                Floating tensors are written as F32, integer tensors (num_batches_tracked) as I64. A \
                'module.' prefix on every key (nn.DataParallel) is dropped and a dict holding \
                'state_dict' or 'model' is unwrapped, each said on standard error. Every checkpoint \
                option (TRAIN.RESTORE_FROM, TEST.RESTORE_FROM) also reads .pth files directly.
                """)

        @Argument(help: "The checkpoint to read (.pth in zip or legacy format, or safetensors).")
        var input: String

        @Argument(help: "The safetensors file to write (replaced).")
        var output: String

        func run() throws {
            do {
                let summary = try CheckpointConversion.convert(input, to: output, note: { printToStandardError($0) })
                StandardOutput.line("\(input) (\(summary.format.rawValue)) -> \(output): "
                                    + "\(summary.floatTensors + summary.integerTensors) tensors "
                                    + "(\(summary.floatTensors) F32, \(summary.integerTensors) I64)")
            } catch {
                printToStandardError("mtaf-mpi convert: \(error)")
                throw ExitCode.failure
            }
        }
    }
}
