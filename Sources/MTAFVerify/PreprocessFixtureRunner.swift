// PreprocessFixtureRunner: runs the `data_preprocess_pil` case (sidecar key "pipeline") through
// PILResize and Preprocess. Sizes: the input image is H×W×3 (I32 holding 8-bit values), the label
// H×W; each output size (H', W') of the sidecar's `sizes_hw` gives three expected tensors.

import Foundation
import MTAFNet

/// Runs the PIL preprocessing case: for every (H', W') in `sizes_hw`, the bicubic-resized RGB
/// image (`expected.<H'>x<W'>.image_rgb_resized_u8`, H'×W'×3), the preprocessed float image
/// (`….image_preprocessed`, 3×H'×W', BGR minus `img_mean_bgr`) and the nearest-resized label
/// (`….label_resized`, H'×W'). Integer results are returned as Float tensors holding the integer
/// values, which `verify` compares exactly (tolerance 0 for I32 references).
public enum PreprocessFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        guard let pipeline = try? fixture.string("pipeline") else { return false }
        return pipeline.hasPrefix("PIL resize")
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let image = try pixelImage(fixture, "image_rgb_u8")
        let labels = try labelImage(fixture, "label_u8")
        let mean = try fixture.doubleArray("img_mean_bgr").map { Float($0) }
        guard mean.count == 3 else {
            throw FixtureError.wrongType(file: fixture.sidecarPath, key: "img_mean_bgr", wanted: "three numbers")
        }
        guard let sizes = fixture.value("sizes_hw") as? [Any] else {
            throw FixtureError.wrongType(file: fixture.sidecarPath, key: "sizes_hw", wanted: "an array of [H, W] pairs")
        }
        var outputs: [String: Tensor] = [:]
        for item in sizes {
            guard let pair = item as? [Any], pair.count == 2,
                  let h = (pair[0] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
                  let w = (pair[1] as? NSNumber).flatMap({ Int(exactly: $0.doubleValue) }),
                  h > 0, w > 0 else {
                throw FixtureError.wrongType(file: fixture.sidecarPath, key: "sizes_hw", wanted: "an array of [H, W] pairs")
            }
            let size = ImageSize(width: w, height: h)
            let prefix = "expected.\(h)x\(w)."
            let resized = PILResize.bicubic(image, to: size)
            outputs[prefix + "image_rgb_resized_u8"] = Tensor(shape: [h, w, 3], values: resized.pixels.map { Float($0) })
            outputs[prefix + "image_preprocessed"] = Preprocess.imageTensor(resized, meanBGR: mean)
            let resizedLabels = PILResize.nearest(labels, to: size)
            outputs[prefix + "label_resized"] = Tensor(shape: [h, w], values: resizedLabels.values.map { Float($0) })
        }
        return outputs
    }

    /// An H×W×3 I32 tensor of 8-bit values as an RGB image.
    private static func pixelImage(_ fixture: Fixture, _ key: String) throws -> PixelImage {
        let (shape, values) = try fixture.int32s(key)
        guard shape.count == 3, shape[2] == 3, values.allSatisfy({ $0 >= 0 && $0 <= 255 }) else {
            throw FixtureError.unsupported(file: fixture.path, reason: "'\(key)' must be H×W×3 with values 0…255")
        }
        return PixelImage(width: shape[1], height: shape[0], channels: 3, pixels: values.map { UInt8($0) })
    }

    /// An H×W I32 tensor as a label map.
    private static func labelImage(_ fixture: Fixture, _ key: String) throws -> LabelImage {
        let (shape, values) = try fixture.int32s(key)
        guard shape.count == 2 else {
            throw FixtureError.unsupported(file: fixture.path, reason: "'\(key)' must be H×W")
        }
        return LabelImage(width: shape[1], height: shape[0], values: values)
    }
}
