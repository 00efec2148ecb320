// Evaluation of a model on test samples: predictions by the configured protocol
// (teacher-forced, as the reference reports, or generated), scored per task by the Metrics
// target's Evaluator (accuracy, CIDEr-D / ROUGE-L, IoU).

import Datasets
import Metrics
import Models

/// Test metrics of one evaluation, per task (multitask datasets have several).
public struct TestEvaluation: Codable, Sendable, Equatable {
    public var evaluationProtocol: EvaluationProtocol
    public var sampleCount: Int
    /// Metric values per task, e.g. ["vqa": ["accuracy": 0.81, "closedAccuracy": 0.9, ...]].
    public var tasks: [String: [String: Double]]
    /// Predictions that could not be parsed, per task (scored 0 by default).
    public var unparseable: [String: Int]

    /// The value of `metric` for `task`, if evaluated.
    public func value(task: TaskKind, metric: MetricName) -> Double? { tasks[task.rawValue]?[metric.rawValue] }
}

/// Turns a model's answers on test samples into metrics.
public struct ModelEvaluator {
    public let config: FederatedConfig
    public var options: EvaluationOptions

    public init(config: FederatedConfig, options: EvaluationOptions = .standard) {
        self.config = config
        self.options = options
    }

    /// The metric task that scores a dataset task.
    public static func metricTask(for task: TaskKind) -> MetricTask {
        switch task {
        case .classification: return .classification
        case .captioning: return .captioning
        case .vqa: return .vqa
        case .grounding: return .grounding
        case .reportGeneration: return .reportGeneration
        }
    }

    /// The model's answers for `samples` under the configured protocol, in order.
    public func answers(_ model: any VisionLanguageModel, for samples: [Sample]) throws -> [String] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var answers: [String] = []
        answers.reserveCapacity(samples.count)
        for start in stride(from: 0, to: samples.count, by: config.evaluationBatchSize) {
            let batch = Array(samples[start..<min(samples.count, start + config.evaluationBatchSize)])
            switch config.evaluationProtocol {
            case .teacherForced: answers += try model.teacherForcedAnswers(batch)
            case .generated: answers += try model.generateAnswers(batch, options: GenerationOptions(maxNewTokens: config.maxNewTokens))
            }
        }
        return answers
    }

    /// Metrics of `model` on `samples`, grouped by task.
    public func evaluate(_ model: any VisionLanguageModel, on samples: [Sample]) throws -> TestEvaluation {
        guard !samples.isEmpty else { throw FederationError("evaluation: no test samples") }
        let predictions = try answers(model, for: samples)
        return try score(samples: samples, predictions: predictions)
    }

    /// Scores given predictions against the samples' answers.
    public func score(samples: [Sample], predictions: [String]) throws -> TestEvaluation {
        precondition(samples.count == predictions.count, "score: \(predictions.count) predictions for \(samples.count) samples")
        var tasks: [String: [String: Double]] = [:]
        var unparseable: [String: Int] = [:]
        let evaluator = Evaluator(options: options)
        for task in TaskKind.allCases {
            let indices = samples.indices.filter { samples[$0].task == task }
            guard !indices.isEmpty else { continue }
            let items = indices.map { index in
                EvaluationItem(id: samples[index].id, prediction: predictions[index], references: [samples[index].answer],
                               answerType: samples[index].answerType.map { $0 == .closed ? Metrics.AnswerType.closed : .open })
            }
            let result = try evaluator.evaluate(items, task: Self.metricTask(for: task))
            tasks[task.rawValue] = Dictionary(uniqueKeysWithValues: result.scores.map { ($0.key.rawValue, $0.value) })
            unparseable[task.rawValue] = result.unparseableCount
        }
        return TestEvaluation(evaluationProtocol: config.evaluationProtocol, sampleCount: samples.count, tasks: tasks,
                              unparseable: unparseable)
    }
}
