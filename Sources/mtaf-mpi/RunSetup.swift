import Distributed
import MTAFNet

extension ConfigOptions {
    /// What `train` and `test` do first: load the config, join the cluster (MPI under mpirun),
    /// set the rank's OpenBLAS threads and keep freed activation pages mapped.
    func startRun() throws -> (config: MTAFConfig, cluster: any Cluster) {
        let settings = try load()
        let cluster = try ClusterLauncher.fromEnvironment()
        setBLASThreads(RankThreads.count(requested: settings.dist.threadsPerRank))
        ActivationMemory.keepFreedPages()
        return (settings, cluster)
    }
}
