// Allocator settings for the activation tensors of the models. Every forward allocates its
// activations afresh and frees them after the backward; with glibc's defaults, blocks above
// the (dynamic, ≤ 32 MiB) mmap threshold are mapped and unmapped on every call, and freed heap
// tops are trimmed, so each iteration pays for page faults and kernel zeroing again (measured:
// the ResNet-101 eval forward at 320×640 drops from 2.7 s to 1.4 s on 2 cores without them).
// Sizes: none.

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator tuning for training and evaluation loops. Architecture §5.4 (speed).
public enum ActivationMemory {
    /// Makes glibc serve every allocation from its heap (no per-block mmap) and never return
    /// freed heap memory to the kernel, so that the activations of the next forward reuse the
    /// pages of the last one. The resident size then stays at the loop's high-water mark (what
    /// peak RSS measures anyway). Call once at start-up, before the first model is built; a
    /// no-op where glibc's `mallopt` is unavailable.
    ///
    /// - Returns: whether the settings were applied.
    @discardableResult
    public static func keepFreedPages() -> Bool {
        #if canImport(Glibc)
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let mTrimThreshold: Int32 = -1, mMmapMax: Int32 = -4
        return mallopt(mMmapMax, 0) == 1 && mallopt(mTrimThreshold, Int32.max) == 1
        #else
        return false
        #endif
    }
}
