// swift-tools-version:6.0
// FedVLM: federated fine-tuning of vision-language models, in Swift.
//
// One target per layer (see Docs/Architecture.md). Imports only go downward:
//   CBLAS, CKernels -> Tensors -> Autograd -> NN -> LoRAAdapters -> Models
//   Tensors -> Aggregators, Datasets;  Partitioners and Metrics stand alone.
// No target uses unsafeFlags, so the package can be a dependency of research code.
import PackageDescription

/// What every example executable links: the shared command plumbing and the library.
let exampleDependencies: [Target.Dependency] = [
    "FedVLMCommands", "Experiments", "Datasets", "Partitioners", "Models", "Federation",
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
]

let package = Package(
    name: "FedVLM",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "LoRAAdapters", targets: ["LoRAAdapters"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Metrics", targets: ["Metrics"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Partitioners", targets: ["Partitioners"]),
        .library(name: "Aggregators", targets: ["Aggregators"]),
        .library(name: "Federation", targets: ["Federation"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "FedVLMCommands", targets: ["FedVLMCommands"]),
        .executable(name: "fedvlm", targets: ["fedvlm"]),
        .executable(name: "table2", targets: ["table2"]),
        .executable(name: "table3", targets: ["table3"]),
        .executable(name: "table4", targets: ["table4"]),
        .executable(name: "table5", targets: ["table5"]),
        .executable(name: "table6", targets: ["table6"]),
        .executable(name: "dirichlet-sweep", targets: ["dirichlet-sweep"]),
        .executable(name: "kernel-bench", targets: ["KernelBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML experiment specs (Experiments only).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System BLAS/LAPACK (Debian: libblas-dev, liblapack-dev; libopenblas-dev makes them fast).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // libpng, libjpeg-turbo's TurboJPEG and zlib (Debian: libpng-dev, libturbojpeg0-dev, zlib1g-dev)
        // for real image files and gzip-compressed data.
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs"),

        // Our GEMMs in C: an AVX-512 SGEMM and fp32 on AMX tiles (Docs/Performance.md); no flags:
        // target attributes and runtime dispatch.
        .target(name: "CKernels"),
        .target(name: "Tensors", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "Autograd", dependencies: ["Tensors"]),
        .target(name: "NN", dependencies: ["Autograd", "Tensors"]),
        .target(name: "LoRAAdapters", dependencies: ["NN", "Autograd", "Tensors"]),
        .target(name: "Models", dependencies: ["LoRAAdapters", "NN", "Autograd", "Tensors", "Datasets"]),
        .target(name: "Metrics"),
        .target(name: "Datasets", dependencies: ["CImageCodecs"]),
        .target(name: "Partitioners"),
        .target(name: "Aggregators", dependencies: ["Tensors"]),
        .target(name: "Reports"),
        .target(name: "Experiments",
                dependencies: ["Federation", "Models", "LoRAAdapters", "NN", "Tensors", "Datasets", "Aggregators", "Partitioners",
                               "Metrics", "Reports", .product(name: "Yams", package: "Yams")]),
        .target(name: "Federation",
                dependencies: ["Models", "LoRAAdapters", "NN", "Autograd", "Tensors", "Datasets", "Aggregators", "Partitioners", "Metrics"]),

        // Command-line plumbing shared by `fedvlm` and the examples (progress, options, table runs).
        .target(name: "FedVLMCommands",
                dependencies: ["Experiments", "Federation", "Models", "Datasets", "Partitioners", "Aggregators", "Tensors",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "fedvlm",
                          dependencies: ["FedVLMCommands", "Experiments", "Federation", "Models", "Datasets", "Partitioners",
                                         "Aggregators", "Tensors", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "table2", dependencies: exampleDependencies, path: "Examples/table2"),
        .executableTarget(name: "table3", dependencies: exampleDependencies, path: "Examples/table3"),
        .executableTarget(name: "table4", dependencies: exampleDependencies, path: "Examples/table4"),
        .executableTarget(name: "table5", dependencies: exampleDependencies, path: "Examples/table5"),
        .executableTarget(name: "table6", dependencies: exampleDependencies, path: "Examples/table6"),
        .executableTarget(name: "dirichlet-sweep", dependencies: exampleDependencies, path: "Examples/dirichlet-sweep"),
        .executableTarget(
            name: "KernelBench",
            dependencies: ["Tensors", "Autograd", "NN", "LoRAAdapters", "Models",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/KernelBench"),

        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CBLAS", "CKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autograd", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "LoRAAdaptersTests", dependencies: ["LoRAAdapters", "NN", "Autograd", "Tensors"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "LoRAAdapters", "NN", "Autograd", "Tensors", "Datasets"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], exclude: ["Fixtures"]),
        .testTarget(name: "PartitionersTests", dependencies: ["Partitioners"], exclude: ["Fixtures"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "ExperimentsTests",
                    dependencies: ["Experiments", "Federation", "Models", "Datasets", "Aggregators", "Partitioners", "Metrics", "Reports",
                                   .product(name: "Yams", package: "Yams")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "FederationTests",
                    dependencies: ["Federation", "Models", "NN", "Autograd", "Tensors", "Datasets", "Aggregators", "Partitioners", "Metrics"]),
        .testTarget(name: "AggregatorsTests", dependencies: ["Aggregators", "Tensors"], exclude: ["Fixtures"]),
    ]
)
