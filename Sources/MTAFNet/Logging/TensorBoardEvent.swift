/// Serialized TensorBoard `Event` messages (TensorFlow `event.proto`: Event { wall_time = 1
/// (double); step = 2 (int64); file_version = 3 (string); summary = 5 (Summary); session_log = 7
/// (SessionLog { status = 1, START = 1 }) }, Summary { repeated Value value = 1 }). Fields equal to proto3's defaults (step 0) are left out, as
/// protobuf's own serializer does.
public enum TensorBoardEvent {
    /// The version string every event file starts with.
    public static let fileVersion = "brain.Event:2"

    /// The first record of an event file: wall time and `file_version`.
    ///
    /// - Parameter wallTime: Seconds since 1970.
    public static func fileVersionEvent(wallTime: Double) -> [UInt8] {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, fileVersion)
        return event.encoded
    }

    /// An event holding a `Summary` of some values at a step.
    ///
    /// - Parameters:
    ///   - values: The summary's values, in order.
    ///   - step: The global step (the training iteration).
    ///   - wallTime: Seconds since 1970.
    public static func summaryEvent(_ values: [TensorBoardValue], step: Int, wallTime: Double) -> [UInt8] {
        var summary = ProtobufWriter()
        for value in values { summary.bytes(1, value.encoded) }
        var event = ProtobufWriter()
        event.double(1, wallTime)
        if step != 0 { event.int64(2, Int64(step)) }
        event.bytes(5, summary.encoded)
        return event.encoded
    }

    /// A `SessionLog` START at `step`: TensorBoard then drops every event of the run at steps
    /// ≥ `step` read before it (PyTorch `SummaryWriter(purge_step:)`), so a resumed run's
    /// events replace those its first run wrote after the resumed snapshot.
    ///
    /// - Parameters:
    ///   - step: The first step of this (re)started run.
    ///   - wallTime: Seconds since 1970.
    public static func sessionStartEvent(step: Int, wallTime: Double) -> [UInt8] {
        var sessionLog = ProtobufWriter()
        sessionLog.int64(1, 1)
        var event = ProtobufWriter()
        event.double(1, wallTime)
        if step != 0 { event.int64(2, Int64(step)) }
        event.bytes(7, sessionLog.encoded)
        return event.encoded
    }
}
