// SyntheticDomainGap: a cheap proxy for the domain shift of the synthetic benchmark (spec §9),
// measurable without training. A colour-only nearest-class-mean pixel classifier is fitted on
// "game" training scenes; its mIoU on each domain's validation scenes shows how much appearance
// alone transfers, and re-running it after a per-channel mean/std alignment of each domain to the
// source (an unsupervised correction) shows that part of the gap is recoverable. Class-frequency
// distances show the layout shift. Pairwise matrices between all domains (class colour distance,
// class-frequency distance, and the colour classifier fitted on one domain scored on another) show
// how far the targets are from one another (docs/benchmark.md).

import Foundation

/// The domain-gap proxy: per domain, class frequencies and the nearest-mean classifier's mIoU
/// before and after colour alignment.
public struct SyntheticDomainGap: Sendable, CustomStringConvertible {
    /// One domain's numbers.
    public struct Row: Sendable {
        /// The domain.
        public let domain: SyntheticDomain
        /// The share of labelled pixels in each of the 7 classes.
        public let classFrequencies: [Double]
        /// Total-variation distance of `classFrequencies` from the source's.
        public let frequencyDistance: Double
        /// Mean over classes of the distance between the class's mean colour here and in the source.
        public let meanColorDistance: Double
        /// mIoU (%) of the source-fitted nearest-mean classifier.
        public let mIoU: Double
        /// mIoU (%) after aligning each channel's mean and std to the source's.
        public let alignedMIoU: Double
    }

    /// Source first, then the three targets.
    public let rows: [Row]
    /// [a][b]: mean over classes of the distance between the class's mean colour in domain a and b.
    public let pairColorDistance: [[Double]]
    /// [a][b]: total-variation distance between the class frequencies of a and b.
    public let pairFrequencyDistance: [[Double]]
    /// [a][b]: mIoU (%) on b's validation scenes of the nearest-mean classifier fitted on a's
    /// (the source's fitted on its training scenes, a target's on its tune scenes).
    public let pairTransferMIoU: [[Double]]

    /// Measures the proxy on freshly drawn scenes (no files).
    ///
    /// - Parameters:
    ///   - seed: The benchmark seed.
    ///   - imagesPerDomain: Scenes per domain for fitting (source train) and for scoring (each validation split).
    ///   - size: W×H.
    ///   - shifts: The shift set.
    /// Spec §9.
    public static func measure(seed: UInt64, imagesPerDomain: Int, size: ImageSize,
                               shifts: SyntheticShifts = .standard) -> SyntheticDomainGap {
        let classes = 7
        let maps = domainMaps()
        // Pixels (RGB) and train ids per domain and split.
        func pixels(_ domain: SyntheticDomain, split: Int) -> (rgb: [Float], labels: [Int32]) {
            var rgb: [Float] = [], labels: [Int32] = []
            for i in 0..<imagesPerDomain {
                let scene = SyntheticBenchmark.scene(domain: domain, split: split, index: i, seed: seed, size: size,
                                                     shifts: shifts)
                rgb += scene.pixelImage.pixels.map { Float($0) }
                labels += Preprocess.trainIDs(scene.labels(elementID(domain)), map: maps[domain.rawValue]).values
            }
            return (rgb, labels)
        }
        let source = pixels(.game, split: 0)
        let sourceMeans = classMeans(source.rgb, source.labels, classes: classes)
        let sourceStats = channelStats(source.rgb)
        let sourceFrequencies = frequencies(source.labels, classes: classes)
        var rows: [Row] = []
        var validation: [(rgb: [Float], labels: [Int32])] = []
        var fitted: [[[Double]?]] = []
        for domain in SyntheticDomain.allCases {
            let data = pixels(domain, split: 1)
            validation.append(data)
            if domain == .game {
                fitted.append(sourceMeans)
            } else {
                let tune = pixels(domain, split: 2)
                fitted.append(classMeans(tune.rgb, tune.labels, classes: classes))
            }
            let freq = frequencies(data.labels, classes: classes)
            let means = classMeans(data.rgb, data.labels, classes: classes)
            let stats = channelStats(data.rgb)
            var aligned = data.rgb
            for i in 0..<aligned.count {
                let c = i % 3
                aligned[i] = Float((Double(aligned[i]) - stats.mean[c]) / stats.std[c] * sourceStats.std[c] + sourceStats.mean[c])
            }
            rows.append(Row(
                domain: domain, classFrequencies: freq,
                frequencyDistance: 0.5 * zip(freq, sourceFrequencies).reduce(0) { $0 + abs($1.0 - $1.1) },
                meanColorDistance: meanDistance(means, sourceMeans),
                mIoU: nearestMeanMIoU(data.rgb, data.labels, means: sourceMeans, classes: classes),
                alignedMIoU: nearestMeanMIoU(aligned, data.labels, means: sourceMeans, classes: classes)))
        }
        let domains = SyntheticDomain.allCases.indices
        let validationMeans = validation.map { classMeans($0.rgb, $0.labels, classes: classes) }
        return SyntheticDomainGap(
            rows: rows,
            pairColorDistance: domains.map { a in domains.map { b in meanDistance(validationMeans[a], validationMeans[b]) } },
            pairFrequencyDistance: domains.map { a in domains.map { b in
                0.5 * zip(rows[a].classFrequencies, rows[b].classFrequencies).reduce(0) { $0 + abs($1.0 - $1.1) }
            } },
            pairTransferMIoU: domains.map { a in domains.map { b in
                nearestMeanMIoU(validation[b].rgb, validation[b].labels, means: fitted[a], classes: classes)
            } })
    }

    public var description: String {
        var lines = ["Domain-gap proxy (colour-only nearest-class-mean classifier fitted on game):",
                     "  domain   mIoU  aligned  class-freq TV  class colour dist"]
        for row in rows {
            let name = "\(row.domain)".padding(toLength: 7, withPad: " ", startingAt: 0)
            lines.append("  " + name + String(format: " %5.1f  %7.1f  %13.3f  %17.1f",
                                              row.mIoU, row.alignedMIoU, row.frequencyDistance, row.meanColorDistance))
        }
        func matrix(_ title: String, _ values: [[Double]], _ format: String) {
            lines.append(title)
            lines.append("           " + SyntheticDomain.allCases.map { String(repeating: " ", count: 8 - "\($0)".count) + "\($0)" }.joined())
            for (a, row) in values.enumerated() {
                lines.append("  " + "\(SyntheticDomain.allCases[a])".padding(toLength: 9, withPad: " ", startingAt: 0)
                             + row.map { String(format: format, $0) }.joined())
            }
        }
        matrix("Class colour distance between domains:", pairColorDistance, "%8.1f")
        matrix("Class-frequency TV distance between domains:", pairFrequencyDistance, "%8.3f")
        matrix("Colour classifier fitted on the row's domain, mIoU on the column's:", pairTransferMIoU, "%8.1f")
        return lines.joined(separator: "\n")
    }

    /// Mean over the classes present in both of the distance between their mean colours.
    static func meanDistance(_ a: [[Double]?], _ b: [[Double]?]) -> Double {
        var total = 0.0, counted = 0
        for c in a.indices {
            guard let x = a[c], let y = b[c] else { continue }
            total += ((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) + (x[2] - y[2]) * (x[2] - y[2])).squareRoot()
            counted += 1
        }
        return counted > 0 ? total / Double(counted) : 0
    }

    // MARK: Private

    /// The label map each domain's dataset uses (GTA5, Cityscapes, Mapillary, IDD; 7 classes).
    static func domainMaps() -> [LabelMap] {
        // These tables exist for 7 classes and the built-in Vistas names; failure is a programmer error.
        guard let gta5 = try? LabelMaps.gta5(numClasses: 7), let cityscapes = try? LabelMaps.cityscapes(numClasses: 7),
              let mapillary = try? LabelMaps.mapillary(labelNames: LabelMaps.mapillaryLabelNames),
              let idd = try? LabelMaps.idd(numClasses: 7) else {
            preconditionFailure("SyntheticDomainGap: the 7-class label maps must exist")
        }
        return [gta5, cityscapes, mapillary, idd]
    }

    static func elementID(_ domain: SyntheticDomain) -> (SyntheticElement) -> UInt8 {
        switch domain {
        case .game, .city: return { $0.cityscapesID }
        case .vistas: return { $0.mapillaryID }
        case .indian: return { $0.iddID }
        }
    }

    static func frequencies(_ labels: [Int32], classes: Int) -> [Double] {
        var counts = [Double](repeating: 0, count: classes)
        for label in labels where label >= 0 && Int(label) < classes { counts[Int(label)] += 1 }
        let total = max(1, counts.reduce(0, +))
        return counts.map { $0 / total }
    }

    static func classMeans(_ rgb: [Float], _ labels: [Int32], classes: Int) -> [[Double]?] {
        var sums = [[Double]](repeating: [0, 0, 0], count: classes)
        var counts = [Double](repeating: 0, count: classes)
        for (i, label) in labels.enumerated() where label >= 0 && Int(label) < classes {
            for c in 0..<3 { sums[Int(label)][c] += Double(rgb[3 * i + c]) }
            counts[Int(label)] += 1
        }
        return (0..<classes).map { c in counts[c] > 0 ? sums[c].map { $0 / counts[c] } : nil }
    }

    static func channelStats(_ rgb: [Float]) -> (mean: [Double], std: [Double]) {
        var sum = [0.0, 0.0, 0.0], square = [0.0, 0.0, 0.0]
        for (i, value) in rgb.enumerated() {
            sum[i % 3] += Double(value)
            square[i % 3] += Double(value) * Double(value)
        }
        let n = Double(max(1, rgb.count / 3))
        let mean = sum.map { $0 / n }
        let std = (0..<3).map { max(1e-3, (square[$0] / n - mean[$0] * mean[$0]).squareRoot()) }
        return (mean, std)
    }

    static func nearestMeanMIoU(_ rgb: [Float], _ labels: [Int32], means: [[Double]?], classes: Int) -> Double {
        var confusion = [Double](repeating: 0, count: classes * classes)
        for (i, label) in labels.enumerated() where label >= 0 && Int(label) < classes {
            var best = 0, bestDistance = Double.infinity
            for c in 0..<classes {
                guard let m = means[c] else { continue }
                let dr = Double(rgb[3 * i]) - m[0], dg = Double(rgb[3 * i + 1]) - m[1], db = Double(rgb[3 * i + 2]) - m[2]
                let d = dr * dr + dg * dg + db * db
                if d < bestDistance { bestDistance = d; best = c }
            }
            confusion[Int(label) * classes + best] += 1
        }
        var total = 0.0, counted = 0
        for c in 0..<classes {
            let tp = confusion[c * classes + c]
            let row = (0..<classes).reduce(0.0) { $0 + confusion[c * classes + $1] }
            let column = (0..<classes).reduce(0.0) { $0 + confusion[$1 * classes + c] }
            let union = row + column - tp
            if union > 0 { total += tp / union; counted += 1 }
        }
        return counted > 0 ? 100 * total / Double(counted) : 0
    }
}
