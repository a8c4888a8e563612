// ExportFormat: the pixel values of `test --export FORMAT DIR` predictions.

/// What an exported prediction's pixels hold.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// Cityscapes label ids (`LabelMaps.cityscapesLabelIDs`), for the official Cityscapes
    /// evaluator.
    case cityscapes
    /// Train ids 0…C−1, as our own evaluation counts them.
    case trainids
}
