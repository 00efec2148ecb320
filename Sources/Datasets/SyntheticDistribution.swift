// Category, task, answer and position statistics of a dataset: what the paper's Table 2
// summarises, plus the spread of object positions and sizes that shows a synthetic dataset
// is not trivial. Works on any `MultimodalDataset`, synthetic or loaded from disk.

/// A name and how many samples have it.
public struct CountEntry: Sendable, Equatable, Codable {
    public var name: String
    public var count: Int
    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }
}

/// Statistics of one split.
public struct SplitDistribution: Sendable, Equatable, Codable {
    public var sampleCount: Int
    /// Samples per value of the partition attribute (`Sample.category`), sorted by name.
    public var categories: [CountEntry]
    /// Samples per task.
    public var tasks: [CountEntry]
    /// VQA samples per answer type ("closed", "open"); other samples are not counted.
    public var answerTypes: [CountEntry]
    /// Samples per `attributes["question_type"]`, for datasets that set it.
    public var questionTypes: [CountEntry]
    /// Number of distinct target texts (gpt turns).
    public var distinctAnswers: Int
    /// Share of samples whose target equals the most frequent target: what a model that
    /// ignores both image and question would get right.
    public var majorityAnswerShare: Double
    /// Samples with a position: a ground-truth box, or the drawn main object's box
    /// (`SyntheticText.objectBoxAttribute`).
    public var positionedCount: Int
    /// Box centres on a 3 x 3 grid over the image, rows top to bottom, columns left to right.
    public var centreGrid: [[Int]]
    /// Box sizes, binned by sqrt(width * height) in steps of 0.2 ("0.0-0.2", ..., "0.8-1.0").
    public var sizeBins: [CountEntry]
    /// Mean box (x, y, width, height) over positioned samples; nil when none has a position.
    public var meanBox: BoundingBox?

    /// Computes the statistics of `samples`.
    public init(samples: [Sample]) {
        sampleCount = samples.count
        func counts(_ keys: [String]) -> [CountEntry] {
            var table: [String: Int] = [:]
            for key in keys { table[key, default: 0] += 1 }
            return table.map { CountEntry(name: $0.key, count: $0.value) }.sorted { $0.name < $1.name }
        }
        categories = counts(samples.map(\.category))
        tasks = counts(samples.map(\.task.rawValue))
        answerTypes = counts(samples.compactMap { $0.answerType?.rawValue })
        questionTypes = counts(samples.compactMap { $0.attributes["question_type"] })
        let answers = counts(samples.map(\.answer))
        distinctAnswers = answers.count
        majorityAnswerShare = samples.isEmpty ? 0 : Double(answers.map(\.count).max() ?? 0) / Double(samples.count)

        let boxes = samples.compactMap { sample -> BoundingBox? in
            sample.boxes.first ?? sample.attributes[SyntheticText.objectBoxAttribute].flatMap(Self.parseBoxList)
        }
        positionedCount = boxes.count
        var grid = [[Int]](repeating: [0, 0, 0], count: 3)
        var bins = [Int](repeating: 0, count: 5)
        var sum = (x: 0.0, y: 0.0, width: 0.0, height: 0.0)
        for box in boxes {
            let centre = box.center
            grid[min(max(Int(centre.y * 3), 0), 2)][min(max(Int(centre.x * 3), 0), 2)] += 1
            bins[min(Int((box.width * box.height).squareRoot() * 5), 4)] += 1
            sum = (sum.x + box.x, sum.y + box.y, sum.width + box.width, sum.height + box.height)
        }
        centreGrid = grid
        let binNames = ["0.0-0.2", "0.2-0.4", "0.4-0.6", "0.6-0.8", "0.8-1.0"]
        sizeBins = zip(binNames, bins).map { CountEntry(name: $0.0, count: $0.1) }
        let n = Double(boxes.count)
        meanBox = boxes.isEmpty ? nil : BoundingBox(x: sum.x / n, y: sum.y / n, width: sum.width / n, height: sum.height / n)
    }

    /// Reads "[x, y, w, h]"; nil if it is not four numbers.
    static func parseBoxList(_ text: String) -> BoundingBox? {
        let numbers = text.filter { !"[] ".contains($0) }.split(separator: ",").compactMap { Double($0) }
        guard numbers.count == 4 else { return nil }
        return BoundingBox(x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3])
    }
}

/// Statistics of a dataset's train and test splits, with a Markdown rendering.
public struct DistributionReport: Sendable, Equatable, Codable {
    public var info: DatasetInfo
    public var train: SplitDistribution
    public var test: SplitDistribution

    public init(_ dataset: MultimodalDataset) {
        info = dataset.info
        train = SplitDistribution(samples: dataset.train)
        test = SplitDistribution(samples: dataset.test)
    }

    /// A Markdown section: Table-2 facts, then one table per statistic with train and test columns.
    public var markdown: String {
        var lines = [
            "### \(info.name)",
            "",
            "Stands for \(info.standsFor). Tasks: \(info.tasks.map(\.rawValue).joined(separator: ", ")); "
                + "\(info.categoryCount) values of \"\(info.partitionAttribute)\"; up to \(info.maxClients) clients; "
                + "metrics: \(info.metrics.joined(separator: ", ")).",
            "",
            "Samples: \(train.sampleCount) train, \(test.sampleCount) test. Distinct targets: \(train.distinctAnswers) train, "
                + "\(test.distinctAnswers) test. Most frequent target: \(percent(train.majorityAnswerShare)) of train, "
                + "\(percent(test.majorityAnswerShare)) of test.",
        ]
        func table(_ title: String, _ trainEntries: [CountEntry], _ testEntries: [CountEntry]) {
            guard !trainEntries.isEmpty || !testEntries.isEmpty else { return }
            let names = Set(trainEntries.map(\.name) + testEntries.map(\.name)).sorted()
            lines += ["", "| \(title) | train | test |", "|---|---:|---:|"]
            for name in names {
                let a = trainEntries.first { $0.name == name }?.count ?? 0
                let b = testEntries.first { $0.name == name }?.count ?? 0
                lines.append("| \(name) | \(a) | \(b) |")
            }
        }
        table(info.partitionAttribute, train.categories, test.categories)
        if info.partitionAttribute != "task" { table("task", train.tasks, test.tasks) }
        table("answer type", train.answerTypes, test.answerTypes)
        table("question type", train.questionTypes, test.questionTypes)
        if train.positionedCount + test.positionedCount > 0 {
            lines += ["", "Box centres on a 3 x 3 grid (train; rows top to bottom), \(train.positionedCount) boxes:", ""]
            lines += ["| | left | centre | right |", "|---|---:|---:|---:|"]
            for (name, row) in zip(["top", "middle", "bottom"], train.centreGrid) {
                lines.append("| \(name) | \(row[0]) | \(row[1]) | \(row[2]) |")
            }
            table("box size sqrt(w h)", train.sizeBins, test.sizeBins)
            if let mean = train.meanBox {
                lines += ["", "Mean train box: \(SyntheticText.boxList(mean))."]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func percent(_ share: Double) -> String {
        let tenths = Int((share * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }
}

/// Category, task, answer-type and box-position statistics of `dataset` (used by the `table2` example).
public func distributionReport(_ dataset: MultimodalDataset) -> DistributionReport {
    DistributionReport(dataset)
}
