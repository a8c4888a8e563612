import Foundation

// Builds the datasets a config names (spec §6.4 step 7, §6.5 step 3, §7).

/// The source and target datasets of a configuration.
public enum DatasetFactory {
    /// The dataset kind a domain name selects. Source: 'SYNTHIA', 'Cityscapes', anything else GTA5;
    /// target: 'Mapillary', 'IDD', anything else Cityscapes (spec §6.2).
    public enum Kind: String, Sendable {
        case gta5 = "GTA5", cityscapes = "Cityscapes", mapillary = "Mapillary", idd = "IDD", synthia = "SYNTHIA"

        public static func source(_ name: String) -> Kind {
            switch name {
            case "SYNTHIA": .synthia
            case "Cityscapes": .cityscapes
            default: .gta5
            }
        }

        public static func target(_ name: String) -> Kind {
            switch name {
            case "Mapillary": .mapillary
            case "IDD": .idd
            default: .cityscapes
            }
        }
    }

    /// DATA_LIST with `{}` replaced by the set name (spec §7.1).
    public static func listPath(_ template: String, set: String) -> String {
        template.replacingOccurrences(of: "{}", with: set)
    }

    /// The training source dataset (labels read, INPUT_SIZE_SOURCE).
    public static func trainingSource(_ config: MTAFConfig) throws -> any SegmentationDataset {
        let size = ImageSize(width: config.train.inputSizeSource[0], height: config.train.inputSizeSource[1])
        let options = DatasetOptions(imageSize: size, numClasses: config.numClasses)
        let list = listPath(config.dataListSource, set: config.train.setSource)
        switch Kind.source(config.source) {
        case .synthia:
            return try SynthiaDataset(root: config.dataDirectorySource, listPath: list, options: options)
        case .cityscapes:
            return try CityscapesDataset(root: config.dataDirectorySource, listPath: list, set: config.train.setSource,
                                         options: options)
        default:
            return try GTA5Dataset(root: config.dataDirectorySource, listPath: list, options: options)
        }
    }

    /// The source's validation set (list DATA_LIST_SOURCE with set `val`, labels at
    /// TEST.OUTPUT_SIZE_TARGET), when that list exists: the synthetic benchmark writes one so the
    /// domain gap can be measured against the source itself. Nil otherwise.
    public static func sourceValidation(_ config: MTAFConfig) throws -> (any SegmentationDataset)? {
        let list = listPath(config.dataListSource, set: "val")
        guard Kind.source(config.source) == .gta5, FileManager.default.fileExists(atPath: list) else { return nil }
        let image = ImageSize(width: config.test.inputSizeTarget[0], height: config.test.inputSizeTarget[1])
        let label = ImageSize(width: config.test.outputSizeTarget[0], height: config.test.outputSizeTarget[1])
        return try GTA5Dataset(root: config.dataDirectorySource, listPath: list,
                               options: DatasetOptions(imageSize: image, labelSize: label, numClasses: config.numClasses))
    }

    /// Target `index`'s training dataset (labels not read: they are unused, spec §10).
    public static func trainingTarget(_ config: MTAFConfig, index: Int) throws -> any SegmentationDataset {
        let size = ImageSize(width: config.train.inputSizeTarget[0], height: config.train.inputSizeTarget[1])
        return try target(config, index: index, set: config.train.setTarget[index],
                          options: DatasetOptions(imageSize: size, numClasses: config.numClasses, readLabels: false))
    }

    /// Target `index`'s test dataset: TEST.INPUT_SIZE_TARGET images, labels at
    /// TEST.OUTPUT_SIZE_TARGET (Mapillary: TEST.SCALE_LABEL, spec §7.5), file order.
    public static func testTarget(_ config: MTAFConfig, index: Int) throws -> any SegmentationDataset {
        let image = ImageSize(width: config.test.inputSizeTarget[0], height: config.test.inputSizeTarget[1])
        let label = ImageSize(width: config.test.outputSizeTarget[0], height: config.test.outputSizeTarget[1])
        return try target(config, index: index, set: config.test.setTarget[index],
                          options: DatasetOptions(imageSize: image, labelSize: label, numClasses: config.numClasses,
                                                  scaleLabel: config.test.scaleLabel))
    }

    private static func target(_ config: MTAFConfig, index: Int, set: String,
                               options: DatasetOptions) throws -> any SegmentationDataset {
        let root = config.dataDirectoryTarget[index]
        switch Kind.target(config.targets[index]) {
        case .mapillary:
            return try MapillaryDataset(root: root, set: set, options: options)
        case .idd:
            return try IDDDataset(root: root, listPath: listPath(config.dataListTarget[index], set: set), set: set,
                                  options: options)
        default:
            return try CityscapesDataset(root: root, listPath: listPath(config.dataListTarget[index], set: set), set: set,
                                         options: options)
        }
    }
}
