// MDis across ranks (architecture §3.4): the target-vs-target terms through an exchange of the targets'
// self-information maps instead of copies of other ranks' discriminators.
//
// Sizes: T targets, N ranks, L levels (2 with MULTI_LEVEL: aux then main, else 1), a map
// [n, C, H, W] of M = n·C·H·W floats (every target batch has the same shape); one exchange
// block = L·M floats per producer. Rounds: r = 0 … R − 1, R = most targets a rank hosts; in round
// r each rank's r-th hosted target (if any) is its map producer.

import Distributed

extension MDisFramework {
    /// The iteration of spec §5.2 on any world size (architecture §3.4):
    /// 1. Source CE (the last rank in replicate mode, ×1/N in shard mode), keep I(A_s), I(M_s).
    /// 2. Per round: seg pass of this rank's round-r target i; fool D_aux,i / D_main,i (×1/k_i);
    ///    send the maps to the owners of the target-vs-target discriminators (the leaders of
    ///    their groups); each owner runs its discriminators once per received map, returns the
    ///    generator data gradient (G terms, ×1/k_i) and accumulates the discriminator weight
    ///    gradient of step 4(b)/(d) (×1/k_i) from the same forward; the producer adds the
    ///    returned gradients, then backward.
    /// 3–4. The hosted D_aux,i, D_main,i on the source (target i's leader, or ×1/k_i in shard
    ///    mode) and on target i's maps (×1/k_i).
    /// 5. Allreduce (world for the segmenter, groups for the discriminators), SGD, hosted Adams.
    /// Spec §5.2, §5.6; architecture §3.4.
    public func trainIteration(on batch: TrainingBatch) throws -> IterationLosses {
        let hp = state.hyperParameters
        let t = targetCount
        let placement = placement
        let world = synchronization.world
        let hosted = placement.hostedTargets
        let levels: [Bool] = multiLevel ? [true, false] : [false]
        func lambda(_ aux: Bool) -> Float { Float(aux ? hp.lambdaAdvAux : hp.lambdaAdvMain) }
        func sourceVsTarget(_ aux: Bool, _ i: Int) -> FCDiscriminator { discriminator(aux ? .auxOf(i) : .mainOf(i)) }
        var losses = LossRecord()

        // Skeleton step 1: zero every gradient; set the poly LRs.
        try beginIteration(batch)

        // 1. Source: CE at both levels (the last rank in replicate mode, ×1/N in shard mode), one
        //    backward; keep I(A_s), I(M_s).
        let source = try sourceSegmentationStep(batch, keepMaps: true, scale: placement.sourceScale)
        if placement.sourceScale != nil {
            losses.set("loss_seg_src_aux", source.lossAux)
            losses.set("loss_seg_src_main", source.lossMain)
        }

        // 2. Rounds of hosted targets with the map exchange.
        let imageShape = batch.targetImages[hosted[0]].shape
        let mapShape = [imageShape[0], hp.classes, imageShape[2], imageShape[3]]
        var targetMaps: [Bool: [Int: Tensor]] = [true: [:], false: [:]]
        for round in 0..<placement.rounds {
            let target: Int? = round < hosted.count ? hosted[round] : nil
            var pass: SegmenterPass? = nil
            var pending: [(prediction: UpsampledPrediction, map: SelfInformationMap)] = []
            if let i = target {
                let scale = placement.targetScale(i)
                let current = segmenterPass(batch.targetImages[i], .target(i))
                pass = current
                for aux in levels {
                    let prediction = aux ? current.auxPrediction()! : current.mainPrediction()
                    let map = SelfInformationMap(prediction)
                    precondition(map.map.shape == mapShape, "MDis exchange: map \(map.map.shape), expected \(mapShape)")
                    losses.set(aux ? "loss_adv_trg_aux" : "loss_adv_trg_main",
                               AdversarialTerm.fool(sourceVsTarget(aux, i), map: map, label: 0,
                                                    weight: lambda(aux) * scale), target: i)
                    pending.append((prediction, map))
                }
            }
            let returned = try exchangeRound(round, maps: pending.map(\.map.map), mapShape: mapShape, levels: levels,
                                             world: world)
            if let i = target, let pass {
                for (l, entry) in pending.enumerated() {
                    for gradient in returned[l] { entry.map.accumulateGradient(gradient) }
                    entry.map.backward(into: entry.prediction)
                    targetMaps[levels[l]]![i] = entry.map.map
                }
                try backward(pass, isFinal: i == hosted.last)
            }
        }

        // 3. Source, detached: every hosted D_aux,i with /(1 + T), then every hosted D_main,i
        //    with /2 (target i's leader in replicate mode, its group ×1/k_i in shard mode).
        if let auxMap = source.auxMap {
            for i in hosted {
                guard let scale = placement.hostedSourceScale(i) else { continue }
                _ = AdversarialTerm.train(discriminator(.auxOf(i)), map: auxMap, label: 0, scale: 1 / Float(1 + t) * scale)
            }
        }
        for i in hosted {
            guard let scale = placement.hostedSourceScale(i) else { continue }
            _ = AdversarialTerm.train(discriminator(.mainOf(i)), map: source.mainMap!, label: 0, scale: 0.5 * scale)
        }

        // 4. Each hosted target i, detached: (a) D_aux,i, (c) D_main,i; (b) and (d) ran in the
        //    exchange.
        for i in hosted {
            let scale = 0.5 * placement.targetScale(i)
            if let auxMap = targetMaps[true]![i] {
                losses.set("loss_d_aux", AdversarialTerm.train(discriminator(.auxOf(i)), map: auxMap, label: 1,
                                                               scale: scale) / 2, target: i)
            }
            losses.set("loss_d_main", AdversarialTerm.train(discriminator(.mainOf(i)), map: targetMaps[false]![i]!,
                                                            label: 1, scale: scale) / 2, target: i)
        }

        // 5. SGD step; Adam of the hosted D_aux,i and D_main,i; then the hosted target
        //    discriminators (upstream order, filtered).
        var adamSteps = (0..<t).flatMap { [DiscriminatorRole.auxOf($0), .mainOf($0)] }
        adamSteps += t == 2
            ? [.target, .targetAux]
            : (0..<t).flatMap { [DiscriminatorRole.targetAuxOf($0), .targetOf($0)] }
        try finishIteration(adamSteps: adamSteps)
        return try reportedLosses(losses)
    }

    /// The indices j of the target-vs-target discriminators rank `r` owns (`TrainingPlacement.owner`):
    /// T = 2: the single pair, j = 0; T > 2: every j whose group it leads.
    private func ownedTargetDiscriminators(rank r: Int) -> [Int] {
        let placement = placement
        return (0..<(targetCount == 2 ? 1 : targetCount)).filter {
            placement.owner(of: targetDiscriminatorRole($0, aux: false)) == r
        }
    }

    /// The target-vs-target discriminator of index j at one level.
    private func targetDiscriminatorRole(_ j: Int, aux: Bool) -> DiscriminatorRole {
        if targetCount == 2 { return aux ? .targetAux : .target }
        return aux ? .targetAuxOf(j) : .targetOf(j)
    }

    /// Whether owner j's discriminator has a generator term on target i's maps (spec §5.2 step 2:
    /// T = 2 always; T > 2 for j ≠ i).
    private func hasGeneratorTerm(_ j: Int, target i: Int) -> Bool { targetCount == 2 || j != i }

    /// One exchange round (collective over the world).
    ///
    /// - Parameters:
    ///   - round: r.
    ///   - maps: this rank's L maps of its round-r target (empty when it has none), each
    ///     `mapShape`, detached values.
    ///   - mapShape: [n, C, H, W].
    ///   - levels: aux flags of the levels, in block order.
    ///   - world: every rank.
    /// - Returns: per level, the generator data gradient of every target-vs-target
    ///   discriminator with a term on this rank's target, in the order of its index j (empty
    ///   lists when it produced nothing).
    private func exchangeRound(_ round: Int, maps: [Tensor], mapShape: [Int], levels: [Bool],
                               world: any Collectives) throws -> [[Tensor]] {
        let placement = placement
        let t = targetCount
        let n = world.size, me = world.rank
        let m = mapShape.reduce(1, *)
        let block = levels.count * m
        func producerTarget(_ p: Int) -> Int? {
            let hosted = placement.targets(hostedBy: p)
            return round < hosted.count ? hosted[round] : nil
        }
        let owners = (0..<n).filter { !ownedTargetDiscriminators(rank: $0).isEmpty }
        let mine = ownedTargetDiscriminators(rank: me)
        let producing = !maps.isEmpty

        // Maps to every owner.
        var send = [Float](repeating: 0, count: producing ? owners.count * block : 0)
        if producing {
            for k in owners.indices {
                for (l, map) in maps.enumerated() {
                    map.withUnsafeBufferPointer { src in
                        for e in 0..<m { send[k * block + l * m + e] = src[e] }
                    }
                }
            }
        }
        let mapCounts = (0..<n).map { producing && owners.contains($0) ? block : 0 }
        let producerCounts = (0..<n).map { !mine.isEmpty && producerTarget($0) != nil ? block : 0 }
        var received = [Float](repeating: 0, count: producerCounts.reduce(0, +))
        try synchronization.time.measure("exchange") {
            try send.withUnsafeBufferPointer { s in
                try received.withUnsafeMutableBufferPointer { r in
                    try world.alltoallv(s, sendCounts: mapCounts, into: r, recvCounts: producerCounts)
                }
            }
        }

        // Owner work: each owned discriminator once per received map, both phases. The data
        // gradient of each discriminator with a generator term goes back on its own (the
        // producer adds them in the order of j: the same sum on every world size).
        func termCount(_ owner: Int, target i: Int) -> Int {
            ownedTargetDiscriminators(rank: owner).filter { hasGeneratorTerm($0, target: i) }.count
        }
        let replyCounts = (0..<n).map { p in producerTarget(p).map { termCount(me, target: $0) * block } ?? 0 }
        var reply = [Float](repeating: 0, count: replyCounts.reduce(0, +))
        if !mine.isEmpty {
            var offset = 0, replyOffset = 0
            for p in 0..<n {
                guard let i = producerTarget(p) else { continue }
                let scale = placement.targetScale(i)
                let terms = termCount(me, target: i)
                for (l, aux) in levels.enumerated() {
                    let base = offset + l * m
                    let input = Tensor(shape: mapShape, values: Array(received[base ..< base + m]))
                    let lambda = Float(aux ? state.hyperParameters.lambdaAdvAux : state.hyperParameters.lambdaAdvMain)
                    var term = 0
                    for j in mine {
                        let fool: (label: Float, weight: Float)?
                        let train: (label: Float, scale: Float)
                        if t == 2 {
                            fool = (Float(1 - i), lambda * scale)
                            train = (Float(i), 0.5 * scale)
                        } else {
                            fool = j == i ? nil : (0, lambda / Float(t - 1) * scale)
                            train = j == i ? (0, 0.5 * scale) : (1, 1 / Float(2 * (t - 1)) * scale)
                        }
                        let gradient = AdversarialTerm.foolAndTrain(discriminator(targetDiscriminatorRole(j, aux: aux)),
                                                                    map: input, fool: fool, train: train)
                        guard let gradient else { continue }
                        // Reply layout per producer: [term][level][M].
                        let start = replyOffset + (term * levels.count + l) * m
                        gradient.withUnsafeBufferPointer { g in
                            for e in 0..<m { reply[start + e] = g[e] }
                        }
                        term += 1
                    }
                }
                offset += block
                replyOffset += terms * block
            }
        }

        // Data gradients back to the producers.
        let backCounts = (0..<n).map { owner in
            producing ? termCount(owner, target: producerTarget(me)!) * block : 0
        }
        var back = [Float](repeating: 0, count: backCounts.reduce(0, +))
        try synchronization.time.measure("exchange") {
            try reply.withUnsafeBufferPointer { s in
                try back.withUnsafeMutableBufferPointer { r in
                    try world.alltoallv(s, sendCounts: replyCounts, into: r, recvCounts: backCounts)
                }
            }
        }
        guard producing, let i = producerTarget(me) else { return levels.map { _ in [] } }
        // Every term's gradient with its discriminator index j, then in the order of j.
        var terms: [(j: Int, gradients: [Tensor])] = []
        var offset = 0
        for owner in 0..<n {
            for j in ownedTargetDiscriminators(rank: owner) where hasGeneratorTerm(j, target: i) {
                let gradients = levels.indices.map { l in
                    Tensor(shape: mapShape, values: Array(back[offset + l * m ..< offset + (l + 1) * m]))
                }
                terms.append((j, gradients))
                offset += block
            }
        }
        terms.sort { $0.j < $1.j }
        let result = levels.indices.map { l in terms.map { $0.gradients[l] } }
        return result
    }
}
