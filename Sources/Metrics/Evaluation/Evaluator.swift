// The one entry point the runtime and the result tables call: predictions and
// references for a task in, the paper's metrics for that task out
// (FedVLMBench, Table 2):
//   classification           -> accuracy
//   vqa                      -> accuracy, and accuracy over closed / open questions
//   captioning, reportGeneration -> CIDEr (CIDEr-D), ROUGE-L, and BLEU-1...4 if asked
//   grounding                -> mean IoU (and the count of unparseable predictions)

/// Options for every task, with two presets.
public struct EvaluationOptions: Sendable, Hashable, Codable {
    /// Predictions and references are cut at the first of these (end-of-sequence markers).
    public var stopSequences: [String]
    /// Accuracy rules for classification.
    public var classification: AccuracyOptions
    /// Accuracy rules for VQA.
    public var vqa: AccuracyOptions
    /// Tokenization for captioning and report generation.
    public var captionTokenization: CaptionTokenization
    /// How caption and report answers are taken from the texts.
    public var captionExtraction: AnswerExtraction
    /// Also report BLEU-1...4 for captioning and report generation.
    public var includesBLEU: Bool
    /// Box parsing and IoU rules for grounding.
    public var iou: IoUOptions

    /// Options; the defaults give `.standard`.
    public init(stopSequences: [String] = ["</s>"],
                classification: AccuracyOptions = .standard,
                vqa: AccuracyOptions = .vqa,
                captionTokenization: CaptionTokenization = .ptb,
                captionExtraction: AnswerExtraction = .wholeText,
                includesBLEU: Bool = true,
                iou: IoUOptions = .standard) {
        self.stopSequences = stopSequences
        self.classification = classification
        self.vqa = vqa
        self.captionTokenization = captionTokenization
        self.captionExtraction = captionExtraction
        self.includesBLEU = includesBLEU
        self.iou = iou
    }

    /// Library defaults: normalised exact match (VQA normalisation for VQA), the
    /// COCO PTB tokenizer for captions, unparseable boxes scored 0.
    public static let standard = EvaluationOptions()

    /// The reference benchmark's conventions: option letter after "is" for
    /// classification and VQA, whitespace tokenization for captions, [x, y, w, h]
    /// after "are" with unparseable predictions left out of the IoU mean.
    public static let referenceBenchmark = EvaluationOptions(
        classification: .referenceBenchmark, vqa: .referenceBenchmark,
        captionTokenization: .whitespace, iou: .referenceBenchmark)
}

/// What an evaluation returns.
public struct EvaluationResult: Sendable, Hashable {
    /// The task that was evaluated.
    public let task: MetricTask
    /// Number of items evaluated.
    public let sampleCount: Int
    /// Every metric computed, by name.
    public let scores: [MetricName: Double]
    /// The metrics the paper reports for the task, in table order (only those computed;
    /// closed/open accuracy appear when items carry answer types).
    public let headline: [MetricName]
    /// Per-item values (in item order) for the metrics that have them.
    public let perSample: [MetricName: [Double]]
    /// Predictions with no readable answer or box.
    public let unparseableCount: Int
    /// Items left out of the metric (unparseable boxes under `UnparseablePolicy.exclude`).
    public let excludedCount: Int
    /// Items marked as closed questions.
    public let closedCount: Int
    /// Items marked as open questions.
    public let openCount: Int

    /// The score of one metric, or nil if it was not computed.
    public subscript(_ name: MetricName) -> Double? { scores[name] }
}

/// Evaluates predictions for a task with the paper's metrics.
///
/// ```swift
/// let evaluator = Evaluator(options: .referenceBenchmark)
/// let result = try evaluator.evaluate([
///     EvaluationItem(id: "q1", prediction: "The answer is B</s>", references: ["The answer is B"],
///                    answerType: .closed),
/// ], task: .vqa)
/// result[.accuracy]  // 1.0
/// ```
public struct Evaluator: Sendable, Hashable {
    /// Options for every task.
    public var options: EvaluationOptions

    /// An evaluator with the given options.
    public init(options: EvaluationOptions = .standard) {
        self.options = options
    }

    /// Scores `items` with the metrics of `task`.
    ///
    /// - Throws: `MetricsError` for no items, duplicate ids, empty reference lists,
    ///   unreadable reference boxes, or missing image sizes.
    public func evaluate(_ items: [EvaluationItem], task: MetricTask) throws -> EvaluationResult {
        try EvaluationItem.validate(items, metric: task.rawValue)
        let cut = items.map { item in
            var copy = item
            copy.prediction = truncated(item.prediction)
            copy.references = item.references.map(truncated)
            return copy
        }
        switch task {
        case .classification, .vqa:
            return try accuracy(cut, task: task)
        case .captioning, .reportGeneration:
            return try captions(cut, task: task)
        case .grounding:
            return try grounding(cut)
        }
    }

    /// `text` up to the earliest stop sequence (compared scalar by scalar).
    private func truncated(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var end = scalars.count
        for stop in options.stopSequences {
            let needle = Array(stop.unicodeScalars)
            guard !needle.isEmpty, needle.count <= scalars.count else { continue }
            for start in 0...(scalars.count - needle.count) where start < end {
                if scalars[start..<(start + needle.count)].elementsEqual(needle) {
                    end = start
                    break
                }
            }
        }
        return end == scalars.count ? text : String(String.UnicodeScalarView(scalars[0..<end]))
    }

    private func accuracy(_ items: [EvaluationItem], task: MetricTask) throws -> EvaluationResult {
        let metric = AccuracyMetric(options: task == .vqa ? options.vqa : options.classification)
        let result = try metric.evaluate(items)
        var scores: [MetricName: Double] = [.accuracy: result.accuracy]
        if let closed = result.closedAccuracy { scores[.closedAccuracy] = closed }
        if let open = result.openAccuracy { scores[.openAccuracy] = open }
        return EvaluationResult(
            task: task, sampleCount: items.count, scores: scores,
            headline: task.headlineMetrics.filter { scores[$0] != nil },
            perSample: [.accuracy: result.correct.map { $0 ? 1 : 0 }],
            unparseableCount: result.unparseableCount, excludedCount: 0,
            closedCount: result.closedCount, openCount: result.openCount)
    }

    private func captions(_ items: [EvaluationItem], task: MetricTask) throws -> EvaluationResult {
        let extract = { (text: String) in self.options.captionExtraction.answer(in: text) ?? "" }
        var unparseable = 0
        let candidates = items.map { item -> String in
            guard let answer = options.captionExtraction.answer(in: item.prediction) else {
                unparseable += 1
                return ""
            }
            return answer
        }
        let metrics = CaptionMetrics(tokenization: options.captionTokenization, includesBLEU: options.includesBLEU)
        let report = try metrics.score(ids: items.map(\.id), candidates: candidates,
                                       references: items.map { $0.references.map(extract) })
        var scores: [MetricName: Double] = [.cider: report.cider.corpus, .rougeL: report.rougeL.corpus]
        var perSample: [MetricName: [Double]] = [.cider: report.cider.perSample, .rougeL: report.rougeL.perSample]
        if let bleu = report.bleu {
            let names: [MetricName] = [.bleu1, .bleu2, .bleu3, .bleu4]
            for (order, name) in names.enumerated() where order < bleu.corpus.count {
                scores[name] = bleu.corpus[order]
                perSample[name] = bleu.perSample.map { $0[order] }
            }
        }
        return EvaluationResult(task: task, sampleCount: items.count, scores: scores,
                                headline: task.headlineMetrics, perSample: perSample,
                                unparseableCount: unparseable, excludedCount: 0, closedCount: 0, openCount: 0)
    }

    private func grounding(_ items: [EvaluationItem]) throws -> EvaluationResult {
        let result = try IoUMetric(options: options.iou).evaluate(items)
        return EvaluationResult(
            task: .grounding, sampleCount: items.count, scores: [.meanIoU: result.meanIoU],
            headline: [.meanIoU], perSample: [.meanIoU: result.perSample],
            unparseableCount: result.unparseableCount,
            excludedCount: items.count - result.evaluatedCount, closedCount: 0, openCount: 0)
    }
}
