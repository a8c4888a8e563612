// SyntheticPretext: writes the pretext data set that stands in for ImageNet (docs/pretraining.md):
// collages of random shapes and textures (`PretextCollage`), nothing of the benchmark's street
// scenes or domains, in GTA5's folder layout with Cityscapes label ids, so that `mtaf-mpi pretrain`
// trains on it with the real GTA5 reader (spec §7.2).

import Foundation

/// The pretext data generator.
public enum SyntheticPretext {
    /// What to generate.
    public struct Options: Sendable {
        /// The output folder (default `data/pretext`, relative to the working directory).
        public var outputDirectory: String = "data/pretext"
        /// The seed; equal seeds give identical files.
        public var seed: UInt64 = 0
        /// Training images (list `all.txt`).
        public var trainImages: Int = 2000
        /// Held-out images (list `val.txt`).
        public var valImages: Int = 200
        /// The image size (W×H).
        public var size = ImageSize(width: 320, height: 160)
        /// zlib level of the PNG files (1: fast).
        public var compressionLevel: Int = 1

        public init() {}
    }

    /// What was written.
    public struct Summary: Sendable, CustomStringConvertible {
        public var trainImages: Int
        public var valImages: Int
        /// Images, labels and the two lists.
        public var files: Int

        public var description: String {
            "  GTA5 (gta5_list/all.txt): \(trainImages) images\n  GTA5 val (gta5_list/val.txt): \(valImages) images\n  \(files) files"
        }
    }

    /// The random stream's purpose index under the seed, apart from the benchmark's domains (0…3).
    static let streamIndex = 100

    /// Generates the data set: `GTA5/images/NNNNN.png`, `GTA5/labels/NNNNN.png` (training images
    /// 1…trainImages, then the held-out ones), `gta5_list/all.txt` and `gta5_list/val.txt`.
    ///
    /// - Parameter options: Counts, seed, size and output folder.
    /// - Returns: What was written.
    /// - Throws: `DataError` when a folder or file cannot be written.
    public static func generate(_ options: Options) throws -> Summary {
        let root = options.outputDirectory
        let jobs = (0..<options.trainImages).map { (split: 0, index: $0) } + (0..<options.valImages).map { (split: 1, index: $0) }
        let names = jobs.indices.map { String(format: "%05d.png", $0 + 1) }
        for folder in ["GTA5/images", "GTA5/labels", "gta5_list"] { try GeneratedFiles.makeFolder("\(root)/\(folder)") }
        try GeneratedFiles.writeConcurrently(jobs.count, name: { names[$0] }) { i in
            let drawn = collage(split: jobs[i].split, index: jobs[i].index, seed: options.seed, size: options.size)
            try PNG.write(drawn.pixelImage, toPath: "\(root)/GTA5/images/\(names[i])", compressionLevel: options.compressionLevel)
            try PNG.write(drawn.labels, toPath: "\(root)/GTA5/labels/\(names[i])", compressionLevel: options.compressionLevel)
        }
        let train = names.prefix(options.trainImages), val = names.dropFirst(options.trainImages)
        try GeneratedFiles.writeText(train.map { $0 + "\n" }.joined(), to: "\(root)/gta5_list/all.txt")
        try GeneratedFiles.writeText(val.map { $0 + "\n" }.joined(), to: "\(root)/gta5_list/val.txt")
        return Summary(trainImages: train.count, valImages: val.count, files: 2 * jobs.count + 2)
    }

    /// Draws one collage without writing it (tests).
    ///
    /// - Parameters:
    ///   - split: 0 training, 1 held out.
    ///   - index: The image index within the split.
    ///   - seed: The data set's seed.
    ///   - size: W×H.
    static func collage(split: Int, index: Int, seed: UInt64, size: ImageSize) -> PretextCollage {
        var stream = RandomStream(seed: seed).split(index: streamIndex).split(index: split).split(index: index)
        return PretextCollage.render(size: size, stream: &stream)
    }
}
