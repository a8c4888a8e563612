// PILResize: Pillow's resamplers for 8-bit images, bit-exact (spec §7.1). Sizes: an image is
// H×W×C (interleaved channels); a label map is H×W. Bicubic is separable (horizontal pass, then
// vertical, 8-bit intermediate) with 22-bit fixed-point weights; nearest uses Pillow's
// accumulated double-precision source coordinates.

/// PIL-exact `Image.resize` with `BICUBIC` and `NEAREST`.
public enum PILResize {
    /// Fractional bits of the fixed-point weights (Pillow's `PRECISION_BITS` = 32 − 8 − 2).
    static let precisionBits = 22

    /// Resizes an 8-bit image with PIL's bicubic filter (a = −0.5, antialiased when shrinking).
    ///
    /// The horizontal pass runs first and is skipped when the width is unchanged; the vertical
    /// pass is skipped when the height is unchanged; the intermediate image is 8-bit.
    ///
    /// - Parameters:
    ///   - image: H×W×C samples, any C.
    ///   - size: The output size (W', H').
    /// - Returns: H'×W'×C samples.
    /// Spec §7.1 (upstream `Image.resize(size, Image.BICUBIC)`, Pillow `ImagingResample`).
    public static func bicubic(_ image: PixelImage, to size: ImageSize) -> PixelImage {
        var current = image
        if size.width != current.width {
            current = horizontalPass(current, coefficients: coefficients(inCount: current.width, outCount: size.width))
        }
        if size.height != current.height {
            current = verticalPass(current, coefficients: coefficients(inCount: current.height, outCount: size.height))
        }
        return current
    }

    /// Resizes an 8-bit image with PIL's nearest filter.
    ///
    /// - Parameters:
    ///   - image: H×W×C samples.
    ///   - size: The output size.
    /// - Returns: H'×W'×C samples.
    /// Spec §7.1 (upstream `Image.resize(size, Image.NEAREST)`, Pillow `ImagingScaleAffine`).
    public static func nearest(_ image: PixelImage, to size: ImageSize) -> PixelImage {
        let pixels = nearestGather(image.pixels, width: image.width, height: image.height,
                                   channels: image.channels, to: size)
        return PixelImage(width: size.width, height: size.height, channels: image.channels, pixels: pixels)
    }

    /// Resizes a label map with PIL's nearest filter (values are copied, never mixed).
    ///
    /// - Parameters:
    ///   - labels: H×W values.
    ///   - size: The output size.
    /// - Returns: H'×W' values.
    /// Spec §7.1 (upstream `Image.resize(size, Image.NEAREST)` on the label).
    public static func nearest(_ labels: LabelImage, to size: ImageSize) -> LabelImage {
        let values = nearestGather(labels.values, width: labels.width, height: labels.height, channels: 1, to: size)
        return LabelImage(width: size.width, height: size.height, values: values)
    }

    /// The source index of every output index of one axis under PIL's nearest filter: with
    /// step a = n_in/n_out, x₀ = a/2 and x_{o+1} = x_o + a accumulated in double precision;
    /// index = int(x_o).
    ///
    /// - Parameters:
    ///   - inCount: n_in.
    ///   - outCount: n_out.
    /// - Returns: `outCount` indices in 0..<inCount.
    /// Spec §7.1 ("PIL nearest, bit-exact").
    public static func nearestIndices(inCount: Int, outCount: Int) -> [Int] {
        precondition(inCount > 0 && outCount > 0, "PILResize.nearestIndices: sizes \(inCount) → \(outCount)")
        let step = Double(inCount) / Double(outCount)
        var position = step * 0.5
        var indices = [Int](repeating: 0, count: outCount)
        for o in 0..<outCount {
            indices[o] = min(max(Int(position), 0), inCount - 1)
            position += step
        }
        return indices
    }

    /// Pillow's cubic kernel with a = −0.5, evaluated in Pillow's order (`bicubic_filter`).
    static func cubic(_ value: Double) -> Double {
        let a = -0.5
        let x = abs(value)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// The fixed-point weights of one axis (Pillow `precompute_coeffs` + `normalize_coeffs_8bpc`).
    struct Coefficients {
        /// Taps reserved per output sample.
        let kernelSize: Int
        /// The first input index of each output sample.
        let starts: [Int]
        /// The number of taps of each output sample.
        let counts: [Int]
        /// `outCount × kernelSize` weights with 22 fractional bits.
        let weights: [Int32]
    }

    /// Computes the bicubic weights for an axis from `inCount` to `outCount` samples.
    static func coefficients(inCount: Int, outCount: Int) -> Coefficients {
        let scale = Double(inCount) / Double(outCount)
        let filterScale = max(scale, 1)
        let support = 2 * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let inverse = 1 / filterScale
        let one = Double(1 << precisionBits)
        var starts = [Int](repeating: 0, count: outCount)
        var counts = [Int](repeating: 0, count: outCount)
        var weights = [Int32](repeating: 0, count: outCount * kernelSize)
        var taps = [Double](repeating: 0, count: kernelSize)
        for o in 0..<outCount {
            let center = (Double(o) + 0.5) * scale
            let first = max(0, Int(center - support + 0.5))
            let end = min(inCount, Int(center + support + 0.5))
            let count = end - first
            var total = 0.0
            for k in 0..<count {
                let w = cubic((Double(k + first) - center + 0.5) * inverse)
                taps[k] = w
                total += w
            }
            for k in 0..<count {
                var w = taps[k]
                if total != 0 { w /= total }
                weights[o * kernelSize + k] = w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
            }
            starts[o] = first
            counts[o] = count
        }
        return Coefficients(kernelSize: kernelSize, starts: starts, counts: counts, weights: weights)
    }

    /// `(2²¹ + sum) >> 22` clamped to 0…255 (Pillow `clip8`).
    @inline(__always)
    static func clip8(_ sum: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(sum >> precisionBits, 0), 255))
    }

    /// Resamples every row to `coefficients.starts.count` columns.
    static func horizontalPass(_ image: PixelImage, coefficients: Coefficients) -> PixelImage {
        let height = image.height, inWidth = image.width, channels = image.channels
        let outWidth = coefficients.starts.count
        let half = 1 << (precisionBits - 1)
        var output = [UInt8](repeating: 0, count: height * outWidth * channels)
        image.pixels.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                coefficients.weights.withUnsafeBufferPointer { weights in
                    for y in 0..<height {
                        let row = y * inWidth * channels
                        let outRow = y * outWidth * channels
                        for o in 0..<outWidth {
                            let first = coefficients.starts[o], count = coefficients.counts[o]
                            let w = o * coefficients.kernelSize
                            for c in 0..<channels {
                                var sum = half
                                var at = row + first * channels + c
                                for k in 0..<count {
                                    sum += Int(input[at]) * Int(weights[w + k])
                                    at += channels
                                }
                                out[outRow + o * channels + c] = clip8(sum)
                            }
                        }
                    }
                }
            }
        }
        return PixelImage(width: outWidth, height: height, channels: channels, pixels: output)
    }

    /// Resamples every column to `coefficients.starts.count` rows.
    static func verticalPass(_ image: PixelImage, coefficients: Coefficients) -> PixelImage {
        let width = image.width, channels = image.channels
        let rowLength = width * channels
        let outHeight = coefficients.starts.count
        let half = 1 << (precisionBits - 1)
        var output = [UInt8](repeating: 0, count: outHeight * rowLength)
        var sums = [Int](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                coefficients.weights.withUnsafeBufferPointer { weights in
                    sums.withUnsafeMutableBufferPointer { sum in
                        for o in 0..<outHeight {
                            let first = coefficients.starts[o], count = coefficients.counts[o]
                            let w = o * coefficients.kernelSize
                            for i in 0..<rowLength { sum[i] = half }
                            for k in 0..<count {
                                let weight = Int(weights[w + k])
                                let row = (first + k) * rowLength
                                for i in 0..<rowLength { sum[i] += Int(input[row + i]) * weight }
                            }
                            let outRow = o * rowLength
                            for i in 0..<rowLength { out[outRow + i] = clip8(sum[i]) }
                        }
                    }
                }
            }
        }
        return PixelImage(width: width, height: outHeight, channels: channels, pixels: output)
    }

    /// Gathers rows and columns by the nearest-filter index tables.
    static func nearestGather<T>(_ values: [T], width: Int, height: Int, channels: Int, to size: ImageSize) -> [T] {
        if size.width == width && size.height == height { return values }
        let columns = nearestIndices(inCount: width, outCount: size.width)
        let rows = nearestIndices(inCount: height, outCount: size.height)
        var output = [T]()
        output.reserveCapacity(size.pixelCount * channels)
        values.withUnsafeBufferPointer { input in
            for y in 0..<size.height {
                let row = rows[y] * width * channels
                for x in 0..<size.width {
                    let at = row + columns[x] * channels
                    for c in 0..<channels { output.append(input[at + c]) }
                }
            }
        }
        return output
    }
}
