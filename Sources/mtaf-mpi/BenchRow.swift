/// One measured kernel: nominal work, the minimum time of each pass (nil: not measured) and,
/// once `rated(sgemmGFlops:)` has run, the rates and their ratio to the sgemm rate.
struct BenchRow: Codable {
    var name: String
    /// Input map as H×W.
    var map: String
    /// Nominal GFLOP per pass.
    var gflop: Double
    var forwardMs: Double?
    var dataMs: Double?
    var weightMs: Double?
    var forwardGFlops: Double?
    var dataGFlops: Double?
    var weightGFlops: Double?
    /// Rate ÷ the sgemm rate of the same run.
    var forwardRatio: Double?
    var dataRatio: Double?
    var weightRatio: Double?

    init(name: String, map: String, gflop: Double, forwardMs: Double?, dataMs: Double?, weightMs: Double?) {
        self.name = name
        self.map = map
        self.gflop = gflop
        self.forwardMs = forwardMs
        self.dataMs = dataMs
        self.weightMs = weightMs
    }

    /// This row with its GFLOP/s and sgemm ratios filled in.
    func rated(sgemmGFlops: Double) -> BenchRow {
        var r = self
        let rate = { (ms: Double?) in ms.map { gflop / ($0 / 1000) } }
        r.forwardGFlops = rate(forwardMs)
        r.dataGFlops = rate(dataMs)
        r.weightGFlops = rate(weightMs)
        r.forwardRatio = r.forwardGFlops.map { $0 / sgemmGFlops }
        r.dataRatio = r.dataGFlops.map { $0 / sgemmGFlops }
        r.weightRatio = r.weightGFlops.map { $0 / sgemmGFlops }
        return r
    }
}
