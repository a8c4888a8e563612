// LossFixtureRunner: runs the loss fixtures (`loss_cross_entropy_*`, `loss_bce_label*`,
// `loss_kl_teacher`, `loss_entropy`) through `Losses/`. Sizes come from the stored tensors;
// the BCE label from the sidecar.

import MTAFNet

/// Runs the sidecar losses cross_entropy_2d, bce_with_logits, kl_teacher and entropy: the loss
/// (as a [1] tensor, `expected.loss`) and its gradient w.r.t. the input logits
/// (`expected.grad_input`, or `expected.grad_student` for the KL loss).
public enum LossFixtureRunner: FixtureRunner {
    static let losses: Set<String> = ["cross_entropy_2d", "bce_with_logits", "kl_teacher",
                                      "entropy"]

    public static func handles(_ fixture: Fixture) -> Bool {
        guard let loss = try? fixture.string("loss") else { return false }
        return losses.contains(loss)
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let kind = try fixture.string("loss")
        switch kind {
        case "cross_entropy_2d":
            let input = try fixture.tensor("input")
            let (n, c, h, w) = try dims4(fixture, input, "input")
            let labels = try fixture.int32s("labels")
            guard labels.shape == [n, h, w] else {
                throw FixtureError.unsupported(file: fixture.path,
                                               reason: "tensor 'labels' has shape \(labels.shape), wanted \([n, h, w])")
            }
            for (i, l) in labels.values.enumerated() where l >= 0 && l < 200 && Int(l) >= c {
                throw FixtureError.unsupported(file: fixture.path,
                                               reason: "label \(l) at index \(i) is kept but not below C = \(c)")
            }
            let grad = Tensor(shape: input.shape)
            let loss = labels.values.withUnsafeBufferPointer { lab in
                input.withUnsafeBufferPointer { x in
                    grad.withUnsafeMutableBufferPointer { g in
                        crossEntropy2dLoss(gradLogits: g.baseAddress!, logits: x.baseAddress!,
                                           labels: lab.baseAddress!, scale: 1,
                                           batch: n, channels: c, height: h, width: w)
                    }
                }
            }
            return ["expected.loss": scalar(loss), "expected.grad_input": grad]
        case "bce_with_logits":
            let input = try fixture.tensor("input")
            let label = try fixture.double("label")
            guard input.count > 0 else {
                throw FixtureError.unsupported(file: fixture.path, reason: "tensor 'input' is empty")
            }
            let grad = Tensor(shape: input.shape)
            let loss = input.withUnsafeBufferPointer { x in
                grad.withUnsafeMutableBufferPointer { g in
                    bceWithLogitsLoss(gradInput: g.baseAddress!, input: x.baseAddress!,
                                      target: Float(label), scale: 1, count: x.count)
                }
            }
            return ["expected.loss": scalar(loss), "expected.grad_input": grad]
        case "kl_teacher":
            let student = try fixture.tensor("student"), teacher = try fixture.tensor("teacher")
            let (n, c, h, w) = try dims4(fixture, student, "student")
            guard teacher.shape == student.shape else {
                throw FixtureError.unsupported(file: fixture.path,
                                               reason: "tensor 'teacher' has shape \(teacher.shape), wanted \(student.shape)")
            }
            let grad = Tensor(shape: student.shape)
            let loss = student.withUnsafeBufferPointer { s in
                teacher.withUnsafeBufferPointer { t in
                    grad.withUnsafeMutableBufferPointer { g in
                        klTeacherLoss(gradStudent: g.baseAddress!, student: s.baseAddress!,
                                      teacher: t.baseAddress!, scale: 1,
                                      batch: n, channels: c, height: h, width: w)
                    }
                }
            }
            return ["expected.loss": scalar(loss), "expected.grad_student": grad]
        case "entropy":
            let input = try fixture.tensor("input")
            let (n, c, h, w) = try dims4(fixture, input, "input")
            let grad = Tensor(shape: input.shape)
            let loss = input.withUnsafeBufferPointer { x in
                grad.withUnsafeMutableBufferPointer { g in
                    entropyLoss(gradLogits: g.baseAddress!, logits: x.baseAddress!, scale: 1,
                                batch: n, channels: c, height: h, width: w)
                }
            }
            return ["expected.loss": scalar(loss), "expected.grad_input": grad]
        default:
            throw FixtureError.unsupported(file: fixture.sidecarPath, reason: "loss '\(kind)' is not handled")
        }
    }

    private static func scalar(_ value: Double) -> Tensor {
        Tensor(shape: [1], values: [Float(value)])
    }

    private static func dims4(_ fixture: Fixture, _ t: Tensor,
                              _ key: String) throws -> (Int, Int, Int, Int) {
        guard t.shape.count == 4, t.count > 0 else {
            throw FixtureError.unsupported(file: fixture.path,
                                           reason: "tensor '\(key)' has shape \(t.shape), wanted non-empty [N, C, H, W]")
        }
        return (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    }
}
