// The Markdown tables of a `TestReport`: IoU ×100 with 2 decimals (upstream's rounding, spec
// §4.11), one row per class, one column per target, plus the mean over targets.

import Foundation

extension TestReport {
    /// The report as Markdown: single mode, the checkpoint's per-class table; best mode, the
    /// best-average checkpoint's table, the best checkpoint per target, and every checkpoint's
    /// mIoUs.
    public var markdown: String {
        var lines = ["# Test results", "",
                     "Mode: \(mode). Targets: \(targets.joined(separator: ", ")). "
                         + "IoU ×100 per class; mIoU = nan-mean over classes; Mean = mean over targets.", ""]
        if mode == "single" {
            for results in evaluated {
                lines += ["## Checkpoint `\(results.checkpoint)`", ""]
                lines += Self.classTable(classNames: classNames, results: results)
                lines.append("")
            }
        } else {
            if let bestAverage {
                lines += ["## Best average: `\(bestAverage.checkpoint)` (mIoU \(Self.format(bestAverage.average)))", ""]
                lines += Self.classTable(classNames: classNames, results: bestAverage)
                lines.append("")
            }
            if !bestPerTarget.isEmpty {
                lines += ["## Best checkpoint per target", ""]
                lines.append("| Class | " + bestPerTarget.map(\.target).joined(separator: " | ") + " |")
                lines.append("| --- |" + String(repeating: " ---: |", count: bestPerTarget.count))
                lines.append("| checkpoint | "
                             + bestPerTarget.map { "`\(($0.checkpoint as NSString).lastPathComponent)`" }
                                 .joined(separator: " | ") + " |")
                for (c, name) in classNames.enumerated() {
                    lines.append("| \(name) | " + bestPerTarget.map { Self.percent($0.result.iou, c) }
                                     .joined(separator: " | ") + " |")
                }
                lines.append("| **mIoU** | " + bestPerTarget.map { "**\(Self.format($0.result.mIoU))**" }
                                 .joined(separator: " | ") + " |")
                lines.append("")
            }
            if !evaluated.isEmpty {
                lines += ["## Every checkpoint (mIoU)", ""]
                lines.append("| Checkpoint | " + targets.joined(separator: " | ") + " | Mean |")
                lines.append("| --- |" + String(repeating: " ---: |", count: targets.count + 1))
                for results in evaluated {
                    lines.append("| `\((results.checkpoint as NSString).lastPathComponent)` | "
                                 + results.targets.map { Self.format($0.mIoU) }.joined(separator: " | ")
                                 + " | \(Self.format(results.average)) |")
                }
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Rows = classes, columns = targets + the mean over targets; last row the mIoUs.
    static func classTable(classNames: [String], results: CheckpointResults) -> [String] {
        var lines = ["| Class | " + results.targets.map(\.target).joined(separator: " | ") + " | Mean |",
                     "| --- |" + String(repeating: " ---: |", count: results.targets.count + 1)]
        for (c, name) in classNames.enumerated() {
            let values = results.targets.map { c < $0.iou.count ? $0.iou[c] : .nan }
            let mean = ConfusionMatrix.roundedPercent(nanMean(values))
            lines.append("| \(name) | " + results.targets.map { percent($0.iou, c) }.joined(separator: " | ")
                         + " | \(format(mean)) |")
        }
        lines.append("| **mIoU** | " + results.targets.map { "**\(format($0.mIoU))**" }.joined(separator: " | ")
                     + " | **\(format(results.average))** |")
        return lines
    }

    /// IoU c of a vector as ×100 with 2 decimals.
    static func percent(_ iou: [Double], _ c: Int) -> String {
        format(c < iou.count ? ConfusionMatrix.roundedPercent(iou[c]) : .nan)
    }

    /// Upstream's number format: 2 decimals, "nan".
    static func format(_ value: Double) -> String {
        value.isNaN ? "nan" : String(format: "%.2f", value)
    }
}
