// Construction, views (reshape, permute, transpose, slice, broadcast, unsqueeze, squeeze),
// contiguous copies and copy-on-write. Shapes are tiny; `arange` values make every element
// identify its own row-major position, so a wrong stride shows up as a wrong number.
import Testing
import Tensors

@Suite("Tensor construction and views")
struct ViewTests {
    /// [2, 3, 4] holding 0 ..< 24.
    let cube = Tensor.arange(24).reshaped([2, 3, 4])

    @Test func constructionFillsRowMajor() {
        let t = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.shape == [2, 3])
        #expect(t.strides == [3, 1])
        #expect(t[1, 0] == 4)
        #expect(t.scalarCount == 6 && t.rank == 2 && t.isContiguous)
        #expect(Tensor(repeating: 2.5, shape: [3]).scalars == [2.5, 2.5, 2.5])
        #expect(Tensor.zeros([2]).scalars == [0, 0] && Tensor.ones([2]).scalars == [1, 1])
        let scalar = Tensor(7)
        #expect(scalar.shape == [] && scalar.scalar == 7 && scalar.scalars == [7])
        #expect(Tensor.arange(4).scalars == [0, 1, 2, 3])
        #expect(Tensor.denseStrides([2, 3, 4]) == [12, 4, 1])
    }

    @Test func validatingInitializerThrowsNamingTheShape() throws {
        let good = try Tensor(validatingShape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(good.scalars == [1, 2, 3, 4])
        do {
            _ = try Tensor(validatingShape: [2, 3], scalars: [1, 2, 3, 4])
            Issue.record("expected a TensorError for 4 values in shape [2, 3]")
        } catch let error as TensorError {
            #expect(error.description.contains("[2, 3]"))
            #expect(error.description.contains("4 values"))
        }
        #expect(throws: TensorError.self) { try Tensor(validatingShape: [2, -1], scalars: []) }
    }

    @Test func reshapeOfDenseTensorSharesStorage() {
        let flat = Tensor.arange(12)
        let matrix = flat.reshaped([3, 4])
        #expect(matrix.storage === flat.storage)
        #expect(matrix[2, 1] == 9)
        #expect(flat.reshaped([2, -1, 3]).shape == [2, 2, 3])
        #expect(flat.reshaped([-1]).shape == [12])
    }

    @Test func reshapeOfTransposedViewCopiesInLogicalOrder() {
        let matrix = Tensor.arange(6).reshaped([2, 3])
        let reshaped = matrix.transposed().reshaped([6])
        #expect(reshaped.scalars == [0, 3, 1, 4, 2, 5])
        #expect(reshaped.storage !== matrix.storage)
    }

    @Test func permuteMovesAxesWithoutCopying() {
        let permuted = cube.permuted([2, 0, 1])            // [4, 2, 3]
        #expect(permuted.shape == [4, 2, 3])
        #expect(permuted.storage === cube.storage)
        #expect(!permuted.isContiguous)
        for index in allIndices(cube.shape) {
            #expect(element(permuted, [index[2], index[0], index[1]]) == element(cube, index))
        }
    }

    @Test func transposeSwapsTheLastTwoAxesByDefault() {
        let t = cube.transposed()                          // [2, 4, 3]
        #expect(t.shape == [2, 4, 3])
        #expect(t[1, 3, 2] == cube[1, 2, 3])
        let outer = cube.transposed(0, 2)                  // [4, 3, 2]
        #expect(outer.shape == [4, 3, 2])
        #expect(outer[3, 1, 0] == cube[0, 1, 3])
        #expect(cube.transposed(-1, -3).shape == [4, 3, 2])
    }

    @Test func contiguousCopiesOnlyWhenNeeded() {
        #expect(cube.contiguous().storage === cube.storage)
        let t = cube.transposed()
        let dense = t.contiguous()
        #expect(dense.isContiguous)
        #expect(dense.storage !== cube.storage)
        #expect(dense.strides == Tensor.denseStrides([2, 4, 3]))
        var expected: [Float] = []
        for b in 0..<2 { for j in 0..<4 { for i in 0..<3 { expected.append(cube[b, i, j]) } } }
        #expect(dense.scalars == expected)
        #expect(t.scalars == expected)
        #expect(t == dense)
    }

    /// Large copies split their rows over the workers, each walk starting mid-way through the
    /// outer dimensions (555 rows of 70 here, not a multiple of the chunk): every element lands
    /// at its row-major place, the same on one worker as on all.
    @Test func largePermutedCopyPutsEveryElementInPlace() {
        let base = Tensor.arange(3 * 37 * 5 * 70).reshaped([3, 37, 5, 70])
        let permuted = base.permuted([0, 2, 1, 3])                        // [3, 5, 37, 70]
        let copy = permuted.contiguous(), serial = ParallelConfiguration.runSerially { permuted.contiguous() }
        let values = copy.scalars
        var misplaced = 0
        for b in 0..<3 { for h in 0..<5 { for t in 0..<37 { for d in 0..<70 {
            let expected = Float(((b * 37 + t) * 5 + h) * 70 + d)
            if values[((b * 5 + h) * 37 + t) * 70 + d] != expected { misplaced += 1 }
        } } } }
        #expect(misplaced == 0)
        #expect(serial.scalars == values)
        // An inner stride other than 1 (a transposed matrix) takes the element-by-element path.
        let transposed = Tensor.arange(300 * 200).reshaped([300, 200]).transposed().contiguous()
        #expect(transposed[17, 299] == Float(299 * 200 + 17) && transposed[199, 0] == 199)
    }

    @Test func sliceIsAViewWithAnOffset() {
        let middle = cube.sliced(axis: 1, 1..<3)           // [2, 2, 4]
        #expect(middle.shape == [2, 2, 4])
        #expect(middle.storage === cube.storage)
        #expect(middle.offset == 4)
        #expect(!middle.isContiguous)
        #expect(middle[1, 0, 2] == cube[1, 1, 2])
        let lastColumns = cube.sliced(axis: -1, 2..<4)     // negative axis
        #expect(lastColumns.scalars == [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23])
        let sliceOfSlice = middle.sliced(axis: 2, 1..<2).sliced(axis: 0, 1..<2)
        #expect(sliceOfSlice.scalars == [17, 21])
        #expect(cube.sliced(axis: 0, 1..<1).scalarCount == 0)
        // A leading slice of a dense tensor is itself dense.
        #expect(cube.sliced(axis: 0, 1..<2).isContiguous)
    }

    @Test func broadcastUsesZeroStrides() {
        let row = Tensor(shape: [3], scalars: [1, 2, 3])
        let grid = row.broadcast(to: [2, 3])
        #expect(grid.strides == [0, 1])
        #expect(grid.storage === row.storage)
        #expect(grid.scalars == [1, 2, 3, 1, 2, 3])
        let column = Tensor(shape: [2, 1], scalars: [5, 6]).broadcast(to: [2, 2, 3])
        #expect(column.strides == [0, 1, 0])
        #expect(column.scalars == [5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6])
        #expect(Tensor(4).broadcast(to: [2]).scalars == [4, 4])
    }

    @Test func unsqueezeAndSqueezeRoundTrip() {
        let matrix = Tensor.arange(6).reshaped([2, 3])
        #expect(matrix.unsqueezed(0).shape == [1, 2, 3])
        #expect(matrix.unsqueezed(1).shape == [2, 1, 3])
        #expect(matrix.unsqueezed(-1).shape == [2, 3, 1])
        #expect(matrix.unsqueezed(2).shape == [2, 3, 1])
        for axis in [0, 1, 2] {
            let u = matrix.unsqueezed(axis)
            #expect(u.isContiguous)
            #expect(u.scalars == matrix.scalars)
            #expect(u.squeezed(axis) == matrix)
        }
        // Unsqueezing a transposed view keeps its logical order.
        let t = matrix.transposed().unsqueezed(1)
        #expect(t.shape == [3, 1, 2])
        #expect(t.scalars == [0, 3, 1, 4, 2, 5])
        #expect(t.squeezed(-2).scalars == [0, 3, 1, 4, 2, 5])
    }

    @Test func copiesAreIndependent() {
        let original = Tensor.arange(6).reshaped([2, 3])
        var copy = original
        copy[0, 1] = 100
        #expect(original[0, 1] == 1)
        #expect(copy[0, 1] == 100)
        #expect(copy.storage !== original.storage)

        var other = original
        other.withUnsafeMutableBufferPointer { $0[5] = -1 }
        #expect(original.scalars == [0, 1, 2, 3, 4, 5])
        #expect(other.scalars == [0, 1, 2, 3, 4, -1])
    }

    @Test func writingThroughAViewLeavesTheBaseAlone() {
        let base = Tensor.arange(6).reshaped([2, 3])
        var column = base.sliced(axis: 1, 1..<2)           // [2, 1]
        column[1, 0] = 42
        #expect(column.scalars == [1, 42])
        #expect(column.isContiguous)
        #expect(base.scalars == [0, 1, 2, 3, 4, 5])

        var transposed = base.transposed()
        transposed[2, 1] = -5
        #expect(transposed.scalars == [0, 3, 1, 4, 2, -5])
        #expect(base[1, 2] == 5)

        // Writing the base after taking a view does not change the view.
        var mutableBase = base
        let view = mutableBase.sliced(axis: 0, 0..<1)
        mutableBase[0, 0] = 9
        #expect(view.scalars == [0, 1, 2])
    }

    @Test func uniquelyOwnedDenseTensorIsWrittenInPlace() {
        var t = Tensor.zeros([4])
        let before = ObjectIdentifier(t.storage)
        t[2] = 1
        t.withUnsafeMutableBufferPointer { $0[0] = 3 }
        #expect(ObjectIdentifier(t.storage) == before)
        #expect(t.scalars == [3, 0, 1, 0])
    }

    @Test func makeUniqueTurnsAViewIntoItsOwnDenseStorage() {
        var slice = Tensor.arange(10).sliced(axis: 0, 3..<6)
        slice.makeUnique()
        #expect(slice.storage.count == 3)
        #expect(slice.offset == 0)
        #expect(slice.scalars == [3, 4, 5])
    }

    @Test func descriptionShowsShapeAndLeadingValues() {
        let text = Tensor.arange(10).description
        #expect(text.hasPrefix("Tensor(shape: [10], [0, 1, 2"))
        #expect(text.hasSuffix(", ...])"))
    }
}
