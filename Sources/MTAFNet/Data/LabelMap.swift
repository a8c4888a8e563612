// LabelMap: a lookup table from a dataset's raw label ids to train ids (spec Appendix B).

/// A lookup from raw label ids to train ids, with the dataset's class names.
public struct LabelMap: Sendable, Equatable {
    /// What happens to a raw value beyond the table.
    public enum Unlisted: Sendable, Equatable {
        /// It becomes 255 (ignored): GTA5, Cityscapes, IDD, SYNTHIA.
        case ignore
        /// It is left unchanged (Mapillary, spec §7.5; none occur).
        case keep
    }

    /// The train id of each raw id 0…table.count−1 (255 = ignored).
    public let table: [Int32]
    /// The class names, train id order (`label` list of the info file).
    public let classNames: [String]
    /// The treatment of values beyond the table.
    public let unlisted: Unlisted

    /// Creates a map.
    ///
    /// - Parameters:
    ///   - table: Train id per raw id.
    ///   - classNames: One name per train id.
    ///   - unlisted: What values beyond the table become.
    public init(table: [Int32], classNames: [String], unlisted: Unlisted = .ignore) {
        self.table = table
        self.classNames = classNames
        self.unlisted = unlisted
    }

    /// Creates a map from (raw id, train id) pairs; unlisted ids in 0…size−1 map to 255.
    ///
    /// - Parameters:
    ///   - pairs: Raw id → train id.
    ///   - size: The table length (larger than every raw id).
    ///   - classNames: One name per train id.
    public init(pairs: [(Int, Int)], size: Int, classNames: [String]) {
        var table = [Int32](repeating: 255, count: size)
        for (raw, train) in pairs {
            precondition(raw >= 0 && raw < size, "LabelMap: raw id \(raw) outside 0..<\(size)")
            table[raw] = Int32(train)
        }
        self.init(table: table, classNames: classNames)
    }

    /// The number of classes (C).
    public var numClasses: Int { classNames.count }

    /// The train id of one raw id.
    public func trainID(_ raw: Int32) -> Int32 {
        if raw >= 0 && Int(raw) < table.count { return table[Int(raw)] }
        return unlisted == .keep ? raw : 255
    }

    /// Maps raw ids to train ids in place.
    ///
    /// - Parameter values: Raw ids, replaced by train ids.
    public func apply(_ values: inout [Int32]) {
        let size = table.count
        let keep = unlisted == .keep
        table.withUnsafeBufferPointer { lookup in
            values.withUnsafeMutableBufferPointer { v in
                for i in 0..<v.count {
                    let raw = v[i]
                    if raw >= 0 && Int(raw) < size {
                        v[i] = lookup[Int(raw)]
                    } else if !keep {
                        v[i] = 255
                    }
                }
            }
        }
    }
}
