// SyntheticBenchmark: writes the synthetic multi-domain benchmark (spec §9) in the folder layouts
// of the real datasets (spec §7.2–§7.5), so the real dataset code reads it: a source domain
// "game" laid out as GTA5 and three targets, "city" as Cityscapes, "vistas" as Mapillary Vistas,
// "indian" as IDD, each with labels in that dataset's own id space. 19-class scenes
// (`Options.classes`) also draw bicycles and trams, so every Cityscapes class occurs.

import Foundation

/// The synthetic benchmark generator.
public enum SyntheticBenchmark {
    /// What to generate.
    public struct Options: Sendable {
        /// The output folder (default `data/synthetic`, relative to the working directory).
        public var outputDirectory: String = SyntheticShifts.standard.defaultDirectory
        /// The seed; equal seeds give identical files.
        public var seed: UInt64 = 0
        /// Source ("game", GTA5 layout) images.
        public var sourceImages: Int = 600
        /// Training images per target.
        public var targetTrainImages: Int = 300
        /// Validation images per target (the test set of the results table).
        public var targetValImages: Int = 100
        /// Labelled "tune" images per target, a split apart from val for choosing snapshots and
        /// loss weights without looking at the test set (lists `tune.txt`, Mapillary folder `tune`).
        public var targetTuneImages: Int = 50
        /// The image size (W×H).
        public var size = ImageSize(width: 320, height: 160)
        /// zlib level of the PNG files (1: fast).
        public var compressionLevel: Int = 1
        /// The class set the scenes are drawn for: 7 (the default scenes) or 19 (they also hold
        /// bicycles and trams, so every Cityscapes class occurs). Labels are each dataset's raw
        /// ids either way; NUM_CLASSES picks the map that reads them.
        public var classes: Int = 7
        /// The domain shifts: `standard` (the original benchmark) or `distinct` (targets that
        /// differ from one another, docs/benchmark.md).
        public var shifts: SyntheticShifts = .standard

        public init() {}
    }

    /// What was written.
    public struct Summary: Sendable, CustomStringConvertible {
        /// One line per folder: its path relative to the output and the number of images.
        public var parts: [(folder: String, images: Int)]
        /// The total number of files written (images, labels, instances, lists, config).
        public var files: Int

        public var description: String {
            parts.map { "  \($0.folder): \($0.images) images" }.joined(separator: "\n") + "\n  \(files) files"
        }
    }

    /// One image to draw and where its files go.
    struct Job: Sendable {
        var domain: SyntheticDomain
        var split: Int            // 0 train (or GTA5 all), 1 val, 2 tune
        var index: Int
        var image: String
        var labels: [(path: String, id: @Sendable (SyntheticElement) -> UInt8)]
        var listEntry: String?
    }

    /// The Cityscapes cities of each split (names of the real ones).
    static let cities = [["aachen", "bochum", "bremen"], ["frankfurt", "lindau", "munster"], ["hamburg", "jena", "ulm"]]

    /// The split names: folder and list names per split index (Mapillary calls val `validation`).
    static let splitNames = ["train", "val", "tune"]

    /// The class sets `Options.classes` takes.
    public static let classCounts = [7, 19]

    /// Generates the benchmark.
    ///
    /// - Parameter options: Counts, seed, size and output folder.
    /// - Returns: What was written.
    /// - Throws: `DataError` when a folder or file cannot be written, or `Options.classes` is
    ///   neither 7 nor 19 (nothing is written then).
    /// Spec §9.
    public static func generate(_ options: Options) throws -> Summary {
        guard classCounts.contains(options.classes) else {
            throw DataError.unsupportedClassCount(dataset: "the synthetic benchmark (7 or 19 classes)", numClasses: options.classes)
        }
        let root = options.outputDirectory
        let jobs = makeJobs(options)
        var folders = Set<String>()
        for job in jobs {
            folders.insert((job.image as NSString).deletingLastPathComponent)
            for label in job.labels { folders.insert((label.path as NSString).deletingLastPathComponent) }
        }
        for folder in folders.sorted() + ["gta5_list", "cityscapes_list", "idd_list"] {
            try GeneratedFiles.makeFolder("\(root)/\(folder)")
        }
        try GeneratedFiles.writeConcurrently(jobs.count, name: { jobs[$0].image }) { try write(jobs[$0], options: options) }

        // Lists (file order = generation order) and Mapillary's config.json.
        let lists: [(String, SyntheticDomain, Int)] = [
            ("gta5_list/all.txt", .game, 0), ("gta5_list/val.txt", .game, 1), ("cityscapes_list/train.txt", .city, 0),
            ("cityscapes_list/val.txt", .city, 1), ("idd_list/train.txt", .indian, 0), ("idd_list/val.txt", .indian, 1),
            ("cityscapes_list/tune.txt", .city, 2), ("idd_list/tune.txt", .indian, 2),
        ]
        for (path, domain, split) in lists {
            let entries = jobs.filter { $0.domain == domain && $0.split == split }.compactMap(\.listEntry)
            try GeneratedFiles.writeText(entries.map { $0 + "\n" }.joined(), to: "\(root)/\(path)")
        }
        try GeneratedFiles.writeText(mapillaryConfig(), to: "\(root)/Mapillary/config.json")

        var parts: [(String, Int)] = []
        for (name, domain, split) in [("GTA5", SyntheticDomain.game, 0), ("GTA5 val", .game, 1), ("Cityscapes train", .city, 0),
                                      ("Cityscapes val", .city, 1), ("Mapillary train", .vistas, 0),
                                      ("Mapillary validation", .vistas, 1), ("IDD train", .indian, 0),
                                      ("IDD val", .indian, 1), ("Cityscapes tune", .city, 2),
                                      ("Mapillary tune", .vistas, 2), ("IDD tune", .indian, 2)] {
            parts.append((name, jobs.filter { $0.domain == domain && $0.split == split }.count))
        }
        let files = jobs.reduce(0) { $0 + 1 + $1.labels.count } + lists.count + 1
        return Summary(parts: parts, files: files)
    }

    /// Draws one scene of a domain without writing it (tests and the domain-gap check).
    ///
    /// - Parameters:
    ///   - domain: The domain.
    ///   - split: 0 train, 1 validation, 2 tune.
    ///   - index: The image index within the split.
    ///   - seed: The benchmark seed.
    ///   - size: W×H.
    ///   - classes: 7 or 19 (`Options.classes`).
    ///   - shifts: The shift set (`Options.shifts`).
    /// - Returns: The RGB image and the element map.
    static func scene(domain: SyntheticDomain, split: Int, index: Int, seed: UInt64, size: ImageSize,
                      classes: Int = 7, shifts: SyntheticShifts = .standard) -> SyntheticScene {
        var stream = RandomStream(seed: seed).split(index: domain.rawValue).split(index: split).split(index: index)
        return SyntheticScene.render(domain: domain, size: size, stream: &stream, nineteenClasses: classes == 19,
                                     shifts: shifts)
    }

    // MARK: Private

    static func makeJobs(_ options: Options) -> [Job] {
        var jobs: [Job] = []
        for i in 0..<options.sourceImages {
            let name = String(format: "%05d.png", i + 1)
            jobs.append(Job(domain: .game, split: 0, index: i, image: "GTA5/images/\(name)",
                            labels: [("GTA5/labels/\(name)", { $0.cityscapesID })], listEntry: name))
        }
        // A held-out source validation set (list `val`, as many images as a target's), so the
        // domain gap can be measured against the source itself.
        for i in 0..<options.targetValImages {
            let name = String(format: "%05d.png", options.sourceImages + i + 1)
            jobs.append(Job(domain: .game, split: 1, index: i, image: "GTA5/images/\(name)",
                            labels: [("GTA5/labels/\(name)", { $0.cityscapesID })], listEntry: name))
        }
        for split in 0..<3 {
            let count = [options.targetTrainImages, options.targetValImages, options.targetTuneImages][split]
            let set = splitNames[split]
            for i in 0..<count {
                let city = cities[split][i % cities[split].count]
                let stem = "\(city)_000000_" + String(format: "%06d", i)
                jobs.append(Job(domain: .city, split: split, index: i,
                                image: "Cityscapes/leftImg8bit/\(set)/\(city)/\(stem)_leftImg8bit.png",
                                labels: [("Cityscapes/gtFine/\(set)/\(city)/\(stem)_gtFine_labelIds.png", { $0.cityscapesID })],
                                listEntry: "\(city)/\(stem)_leftImg8bit.png"))
            }
            let vistasSet = split == 1 ? "validation" : set
            for i in 0..<count {
                let stem = String(format: "synthetic_%06d", i)
                jobs.append(Job(domain: .vistas, split: split, index: i,
                                image: "Mapillary/\(vistasSet)/images/\(stem).png",
                                labels: [("Mapillary/\(vistasSet)/labels/\(stem).png", { $0.mapillaryID }),
                                         ("Mapillary/\(vistasSet)/instances/\(stem).png", { $0.mapillaryID })],
                                listEntry: nil))
            }
            for i in 0..<count {
                let folder = String(split * 100 + i / 50)
                let stem = String(format: "%06d", i)
                jobs.append(Job(domain: .indian, split: split, index: i,
                                image: "IDD/leftImg8bit/\(set)/\(folder)/\(stem)_leftImg8bit.png",
                                labels: [("IDD/gtFine/\(set)/\(folder)/\(stem)_gtFine_labelids.png", { $0.iddID })],
                                listEntry: "\(folder)/\(stem)_leftImg8bit.png"))
            }
        }
        return jobs
    }

    static func write(_ job: Job, options: Options) throws {
        let scene = scene(domain: job.domain, split: job.split, index: job.index, seed: options.seed, size: options.size,
                          classes: options.classes, shifts: options.shifts)
        let root = options.outputDirectory
        try PNG.write(scene.pixelImage, toPath: "\(root)/\(job.image)", compressionLevel: options.compressionLevel)
        for label in job.labels {
            try PNG.write(scene.labels(label.id), toPath: "\(root)/\(label.path)", compressionLevel: options.compressionLevel)
        }
    }

    /// Vistas' config.json shape: `labels`, each with `name`, `readable`, `color`, `instances`, `evaluate`.
    static func mapillaryConfig() -> String {
        var items: [String] = []
        for (index, readable) in LabelMaps.mapillaryLabelNames.enumerated() {
            let name = "synthetic--" + readable.lowercased()
                .replacingOccurrences(of: " - ", with: "-").replacingOccurrences(of: " ", with: "-")
                .replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")
            let color = [(index * 67) % 256, (index * 131 + 50) % 256, (index * 29 + 100) % 256]
            items.append("    {\"name\": \"\(name)\", \"readable\": \"\(readable)\", \"color\": \(color), "
                + "\"instances\": false, \"evaluate\": \(readable != "Unlabeled")}")
        }
        return "{\n  \"version\": \"synthetic (mtaf-mpi make-data; names and order of Vistas v1.2)\",\n"
            + "  \"labels\": [\n" + items.joined(separator: ",\n") + "\n  ]\n}\n"
    }
}
