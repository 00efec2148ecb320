// A dataset as the rest of the library sees it: training samples (optionally already split
// into clients, as the reference benchmark's on-disk releases are), test samples and a
// description that Table 2 prints.

/// What a dataset is, in the terms of the paper's Table 2.
public struct DatasetInfo: Sendable, Equatable, Codable {
    /// Our name, e.g. "Fed-FGVC".
    public var name: String
    /// The real dataset(s) it stands for, e.g. "FGVC-Aircraft (manufacturer)".
    public var standsFor: String
    /// Tasks present in the dataset (one for single-task datasets).
    public var tasks: [TaskKind]
    /// Number of distinct values of the partition attribute (classes, categories, modalities, tasks).
    public var categoryCount: Int
    /// The most clients the paper splits it into.
    public var maxClients: Int
    /// The attribute the non-IID split uses: "manufacturer", "category", "modality", "organ", "task".
    public var partitionAttribute: String
    /// The paper's metric names for it, e.g. ["accuracy"], ["CIDEr", "ROUGE-L"], ["IoU"].
    public var metrics: [String]

    public init(name: String, standsFor: String, tasks: [TaskKind], categoryCount: Int,
                maxClients: Int, partitionAttribute: String, metrics: [String]) {
        self.name = name
        self.standsFor = standsFor
        self.tasks = tasks
        self.categoryCount = categoryCount
        self.maxClients = maxClients
        self.partitionAttribute = partitionAttribute
        self.metrics = metrics
    }
}

/// Train and test samples of one dataset.
public struct MultimodalDataset: Sendable, Equatable {
    public var info: DatasetInfo
    public var train: [Sample]
    public var test: [Sample]
    /// For datasets loaded from a client-partitioned release (`train/client_{i}.json`):
    /// the indices into `train` that each client holds. `nil` for datasets that a
    /// partitioner splits.
    public var predefinedClients: [[Int]]?

    public init(info: DatasetInfo, train: [Sample], test: [Sample], predefinedClients: [[Int]]? = nil) {
        self.info = info
        self.train = train
        self.test = test
        self.predefinedClients = predefinedClients
    }
}
