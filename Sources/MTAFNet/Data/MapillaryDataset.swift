// MapillaryDataset: the Mapillary Vistas target (spec §7.5): ROOT/SET/{images,labels,instances},
// each folder listed and sorted by file name, and ROOT/config.json (66 labels). Images are resized
// with padding ("resize with pad", top-left on a zero canvas); labels either the same way (nearest,
// canvas 65) or kept at native resolution and padded with 65 to the label aspect ratio.

import Foundation

/// Mapillary Vistas; 7 or 19 classes, mapped by the label names of config.json.
public struct MapillaryDataset: SegmentationDataset {
    /// The "Unlabeled" label index, the padding value of label maps (→ 255).
    public static let paddingLabel: Int32 = 65

    public let name: String
    /// The image of each sample (sorted by file name).
    public let imagePaths: [String]
    /// The label of each sample.
    public let labelPaths: [String]
    let options: DatasetOptions
    /// The map built from config.json.
    public let labelMap: LabelMap

    /// Opens the dataset: reads config.json, lists and sorts the three folders, and checks that
    /// every image has its label and instance file.
    ///
    /// - Parameters:
    ///   - root: DATA_DIRECTORY_TARGET (holds `config.json` and the set folders).
    ///   - set: `train` for training, `validation` for testing.
    ///   - options: Sizes, NUM_CLASSES (7 or 19), whether labels are read, label scaling.
    /// - Throws: `DataError` (missing folder, config or file, unknown label name, another class count).
    /// Spec §7.5, Appendix B.4 (upstream `MapillaryDataSet`).
    public init(root: String, set: String, options: DatasetOptions) throws {
        guard options.numClasses == 7 || options.numClasses == 19 else {
            throw DataError.unsupportedClassCount(dataset: "Mapillary", numClasses: options.numClasses)
        }
        let configPath = "\(root)/config.json"
        labelMap = try LabelMaps.mapillary(labelNames: try MapillaryDataset.labelNames(configPath: configPath),
                                           numClasses: options.numClasses, configPath: configPath)
        let folder = "\(root)/\(set)"
        let images = try MapillaryDataset.sortedFiles("\(folder)/images")
        let labels = Set(try MapillaryDataset.sortedFiles("\(folder)/labels"))
        let instances = Set(try MapillaryDataset.sortedFiles("\(folder)/instances"))
        guard !images.isEmpty else { throw DataError.missingFolder(folder: "\(folder)/images", reason: "no images") }
        // Zipping the sorted folders (upstream) pairs files correctly only when they correspond
        // one to one; check it by name and report the first image without its label/instance file.
        var missing: [(file: String, index: Int)] = []
        for (index, image) in images.enumerated() {
            let png = MapillaryDataset.stem(image) + ".png"
            if !labels.contains(png) { missing.append(("\(folder)/labels/\(png)", index)) }
            if !instances.contains(png) { missing.append(("\(folder)/instances/\(png)", index)) }
        }
        if let first = missing.first {
            throw DataError.missingFile(file: first.file, list: "\(folder)/images", line: first.index + 1,
                                        entry: images[first.index], more: missing.count - 1)
        }
        if labels.count != images.count || instances.count != images.count {
            throw DataError.badList(file: folder, reason: "images/, labels/ and instances/ hold \(images.count), "
                                        + "\(labels.count) and \(instances.count) files; they must correspond one to one")
        }
        imagePaths = images.map { "\(folder)/images/\($0)" }
        labelPaths = images.map { "\(folder)/labels/" + MapillaryDataset.stem($0) + ".png" }
        self.options = options
        name = "Mapillary \(set)"
    }

    public var count: Int { imagePaths.count }

    public func sample(_ index: Int) throws -> SegmentationSample {
        precondition(index >= 0 && index < count, "MapillaryDataset.sample: index \(index) outside 0..<\(count)")
        let rgb = try ImageFile.readRGB(atPath: imagePaths[index])
        let fitted = MapillaryDataset.fittedSize(of: rgb.size, into: options.imageSize)
        let canvas = MapillaryDataset.paste(PILResize.bicubic(rgb, to: fitted), onZeroCanvas: options.imageSize)
        let image = Preprocess.imageTensor(canvas)
        var label: LabelImage?
        var fullResolution: FullResolution?
        if options.readLabels {
            let raw = try PNG.readLabels(atPath: labelPaths[index])
            if raw.size != rgb.size {
                throw DataError.sizeMismatch(image: imagePaths[index], imageSize: rgb.size,
                                             label: labelPaths[index], labelSize: raw.size)
            }
            let padded: LabelImage
            if options.scaleLabel {
                let resized = PILResize.nearest(raw, to: MapillaryDataset.fittedSize(of: raw.size, into: options.labelSize))
                padded = MapillaryDataset.pad(resized, to: options.labelSize)
            } else {
                padded = MapillaryDataset.pad(raw, to: MapillaryDataset.paddedSize(of: raw.size, aspectOf: options.labelSize))
            }
            label = Preprocess.trainIDs(padded, map: labelMap)
            fullResolution = FullResolution(size: raw.size,
                                            canvas: MapillaryDataset.paddedSize(of: raw.size, aspectOf: options.labelSize))
        }
        let name = (imagePaths[index] as NSString).lastPathComponent
        return SegmentationSample(image: image, label: label, name: name, fullResolution: fullResolution)
    }

    // MARK: Geometry (spec §7.5)

    /// The size that fits `size` into `target` preserving the aspect ratio: with r_t = W_t/H_t and
    /// r = W/H, (W_t, int(H·W_t/W)) if r > r_t, else (int(W·H_t/H), H_t).
    ///
    /// Spec §7.5 (upstream `resize_with_pad`).
    public static func fittedSize(of size: ImageSize, into target: ImageSize) -> ImageSize {
        let targetRatio = Double(target.width) / Double(target.height)
        let ratio = Double(size.width) / Double(size.height)
        if ratio > targetRatio {
            return ImageSize(width: target.width,
                             height: max(1, Int(Double(size.height * target.width) / Double(size.width))))
        }
        return ImageSize(width: max(1, Int(Double(size.width * target.height) / Double(size.height))),
                         height: target.height)
    }

    /// The native label size padded to the aspect ratio ρ = W_l/H_l of `aspect`: if ρ > W/H the
    /// width becomes int(ρ·H); if ρ < W/H the height becomes int(W/ρ); equal: unchanged.
    ///
    /// Spec §7.5 (label scaling off).
    public static func paddedSize(of size: ImageSize, aspectOf aspect: ImageSize) -> ImageSize {
        let rho = Double(aspect.width) / Double(aspect.height)
        let ratio = Double(size.width) / Double(size.height)
        if rho > ratio { return ImageSize(width: Int(rho * Double(size.height)), height: size.height) }
        if rho < ratio { return ImageSize(width: size.width, height: Int(Double(size.width) / rho)) }
        return size
    }

    /// Pastes an image top-left on a zero canvas.
    static func paste(_ image: PixelImage, onZeroCanvas size: ImageSize) -> PixelImage {
        if image.size == size { return image }
        var canvas = PixelImage(width: size.width, height: size.height, channels: image.channels)
        let rowBytes = min(image.width, size.width) * image.channels
        for y in 0..<min(image.height, size.height) {
            let from = y * image.width * image.channels, to = y * size.width * image.channels
            canvas.pixels.replaceSubrange(to..<(to + rowBytes), with: image.pixels[from..<(from + rowBytes)])
        }
        return canvas
    }

    /// Pastes a label map top-left on a canvas filled with `paddingLabel`.
    static func pad(_ labels: LabelImage, to size: ImageSize) -> LabelImage {
        if labels.size == size { return labels }
        var canvas = LabelImage(width: size.width, height: size.height, filledWith: paddingLabel)
        let rowCount = min(labels.width, size.width)
        for y in 0..<min(labels.height, size.height) {
            let from = y * labels.width, to = y * size.width
            canvas.values.replaceSubrange(to..<(to + rowCount), with: labels.values[from..<(from + rowCount)])
        }
        return canvas
    }

    // MARK: Files

    /// The readable label names of Vistas' config.json (`labels[i].readable`).
    static func labelNames(configPath: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw DataError.badConfig(file: configPath, reason: "missing or unreadable")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let labels = object["labels"] as? [Any] else {
            throw DataError.badConfig(file: configPath, reason: "not a JSON object with a 'labels' array")
        }
        return try labels.enumerated().map { index, item in
            guard let label = item as? [String: Any], let readable = label["readable"] as? String else {
                throw DataError.badConfig(file: configPath, reason: "labels[\(index)] has no 'readable' name")
            }
            return readable
        }
    }

    /// The file names of a folder, sorted (hidden files skipped).
    static func sortedFiles(_ folder: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue,
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw DataError.missingFolder(folder: folder, reason: "Mapillary needs images/, labels/ and instances/")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// A file name without its extension.
    static func stem(_ name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return name }
        return String(name[..<dot])
    }
}
