// CityscapesLabelIDs: train id → Cityscapes label id (the `*_gtFine_labelIds.png` id space of
// spec Appendix B.1), for predictions the official Cityscapes evaluator reads (`test --export
// cityscapes`).

extension LabelMaps {
    /// The Cityscapes label id of each train id, for 19, 16 or 7 classes.
    ///
    /// 19 and 16 classes: the inverse of Appendix B.1's tables (road 7 … bicycle 33). 7 classes
    /// are Cityscapes *categories*; each gets one representative label id of that category whose
    /// label the evaluator scores (not `ignoreInEval`), so its category IoU counts the prediction
    /// in the right category: flat → 7 (road), construction → 11 (building), object → 17 (pole),
    /// nature → 21 (vegetation), sky → 23 (sky), human → 24 (person), vehicle → 26 (car). Only the
    /// evaluator's category scores are meaningful for a 7-class model (docs/from-mtaf.md).
    ///
    /// - Parameter numClasses: NUM_CLASSES.
    /// - Returns: `numClasses` label ids, indexed by train id.
    /// - Throws: `DataError.unsupportedClassCount` for any other class count.
    public static func cityscapesLabelIDs(numClasses: Int) throws -> [UInt8] {
        switch numClasses {
        case 19: return [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]
        case 16: return [7, 8, 11, 12, 13, 17, 19, 20, 21, 23, 24, 25, 26, 28, 32, 33]
        case 7: return [7, 11, 17, 21, 23, 24, 26]
        default: throw DataError.unsupportedClassCount(dataset: "Cityscapes label-id export", numClasses: numClasses)
        }
    }
}
