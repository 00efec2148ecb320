// swift-tools-version:6.0
// A separate package that depends on FedVLM and plugs in its own aggregation rule, using
// only FedVLM's public API (see Docs/Tutorial-CustomAggregator.md).
import PackageDescription

let package = Package(
    name: "CustomAggregatorDemo",
    dependencies: [.package(name: "FedVLM", path: "../..")],
    targets: [
        .executableTarget(name: "CustomAggregatorDemo", dependencies: [
            .product(name: "Aggregators", package: "FedVLM"),
            .product(name: "Experiments", package: "FedVLM"),
            .product(name: "Federation", package: "FedVLM"),
            .product(name: "Tensors", package: "FedVLM"),
        ]),
    ]
)
