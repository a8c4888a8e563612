/// One `Summary.Value` of a TensorBoard event: a scalar or an encoded image.
/// TensorFlow `summary.proto`: Value { tag = 1; simple_value = 2; image = 4 },
/// Image { height = 1; width = 2; colorspace = 3; encoded_image_string = 4 }.
public enum TensorBoardValue: Equatable, Sendable {
    /// A scalar (`simple_value`, float32), shown by the scalars dashboard.
    case scalar(tag: String, value: Float)
    /// A PNG image: `channels` 1 (gray, colorspace 1), 3 (RGB, 3) or 4 (RGBA, 4).
    case image(tag: String, width: Int, height: Int, channels: Int, png: [UInt8])

    /// The value's tag.
    public var tag: String {
        switch self {
        case let .scalar(tag, _), let .image(tag, _, _, _, _): tag
        }
    }

    /// The serialized `Summary.Value` message.
    public var encoded: [UInt8] {
        var value = ProtobufWriter()
        switch self {
        case let .scalar(tag, number):
            value.string(1, tag)
            value.float(2, number)
        case let .image(tag, width, height, channels, png):
            var image = ProtobufWriter()
            image.int64(1, Int64(height))
            image.int64(2, Int64(width))
            image.int64(3, Int64(channels))
            image.bytes(4, png)
            value.string(1, tag)
            value.bytes(4, image.encoded)
        }
        return value.encoded
    }
}
