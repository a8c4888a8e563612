import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The console output of every command: text written to file descriptor 1 with `write(2)`, so a
/// failure is seen (stdio's `print` drops it silently).
///
/// A standard output that fails (a full device behind `> file`, a reader that went away behind
/// `| head`: EPIPE, since the executable ignores SIGPIPE) is reported once on standard error with
/// its errno, and console output stops there; the command goes on, because training keeps its
/// record in `losses.jsonl` and snapshots, and evaluation in its results files.
public enum StandardOutput {
    /// The errno that stopped console output, 0 while it works.
    private static let failure = Mutex<Int32>(0)

    /// Writes a line (a newline is added).
    public static func line(_ text: String) {
        write(text + "\n")
    }

    /// Writes text as is (a progress bar's `\r` lines).
    public static func write(_ text: String) {
        failure.withLock { failed in
            guard failed == 0 else { return }
            let bytes = Array(text.utf8)
            let code = bytes.withUnsafeBytes { writeFully(1, $0) }
            if code != 0 {
                failed = code
                printToStandardError("mtaf-mpi: standard output: write failed: \(errnoDescription(code)); "
                                     + "console output stops here, the run goes on (training logs every iteration "
                                     + "to losses.jsonl in TRAIN.SNAPSHOT_DIR)")
            }
        }
    }
}
