@main struct KernelBench { static func main() {} }
