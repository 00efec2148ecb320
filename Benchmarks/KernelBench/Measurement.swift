// Wall-clock timing for the benchmarks: warm-up calls, then a number of timed samples, each
// sample averaging enough calls to last at least a minimum time (so a 0.1 ms GEMM is not
// measured against timer noise). Results are reported as the median sample; the minimum and
// the spread are kept for the JSON output. `Benchmarks/pytorch_reference.py` times the
// PyTorch side with the same scheme.

import Foundation

/// Timed samples of one benchmarked operation, in seconds per call.
struct Timing: Sendable {
    /// Seconds per call of each timed sample (a sample may average several calls).
    let samples: [Double]
    /// Calls averaged in each sample.
    let callsPerSample: Int

    init(samples: [Double], callsPerSample: Int) {
        precondition(!samples.isEmpty, "Timing: no samples")
        self.samples = samples
        self.callsPerSample = callsPerSample
    }

    /// Median seconds per call (the reported figure: robust to a stray slow sample).
    var median: Double {
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Fastest sample, seconds per call.
    var minimum: Double { samples.min()! }

    /// Median absolute deviation relative to the median: how noisy the samples were.
    var relativeSpread: Double {
        let center = median
        let deviations = samples.map { abs($0 - center) }.sorted()
        let middle = deviations.count / 2
        let mad = deviations.count % 2 == 1 ? deviations[middle] : (deviations[middle - 1] + deviations[middle]) / 2
        return center > 0 ? mad / center : 0
    }
}

/// Seconds elapsed while running `body` once, on a monotonic clock.
func secondsElapsed(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    let end = DispatchTime.now().uptimeNanoseconds
    return Double(end - start) * 1e-9
}

/// Runs `body` `warmup` times untimed, then `repeats` timed samples. Each sample runs `body`
/// as many times as it took consecutive calls to fill `minimumSampleSeconds` right after the
/// warm-up (at least once), and records the mean time per call.
func measure(warmup: Int, repeats: Int, minimumSampleSeconds: Double, _ body: () -> Void) -> Timing {
    precondition(repeats >= 1, "measure: repeats must be at least 1, got \(repeats)")
    for _ in 0..<warmup { body() }
    // Calibration: count the calls that fill one minimum sample (a single slow first call,
    // e.g. a library initialising itself, cannot shrink the samples this way).
    var calls = 0
    let calibrationStart = DispatchTime.now().uptimeNanoseconds
    repeat {
        body()
        calls += 1
    } while Double(DispatchTime.now().uptimeNanoseconds - calibrationStart) * 1e-9 < minimumSampleSeconds
    var samples: [Double] = []
    samples.reserveCapacity(repeats)
    for _ in 0..<repeats {
        let total = secondsElapsed { for _ in 0..<calls { body() } }
        samples.append(total / Double(calls))
    }
    return Timing(samples: samples, callsPerSample: calls)
}
