"""TensorFlow ops by what running them does: files, code, network, or plain tensor math.

A SavedModel or frozen graph is a list of nodes, each naming an op. Most ops compute on
tensors; some read or write files, run Python, or talk to the network when the graph runs
(``tf.saved_model.load`` then a call, or serving). :data:`DANGEROUS_OPS` draws on ModelScan's
``unsafe_tf_operators`` (``ReadFile``, ``WriteFile``) and on the TensorAbuse study (ZJU-SEC,
"TensorAbuse", IEEE S&P 2025: file, network and RPC ops usable from a model graph);
:data:`SAVER_OPS` are the checkpoint ops every SavedModel carries in its saver subgraph;
:data:`KNOWN_OPS` are ordinary ops a model uses. An op on none of the lists is unknown (it
may come from a custom-op library the loader has to load).
"""

from __future__ import annotations


def _names(text: str) -> list[str]:
    """The whitespace-separated names in ``text``."""
    return text.split()


DANGEROUS_OPS: dict[str, str] = {
    **dict.fromkeys(
        ("PyFunc", "PyFuncStateless", "EagerPyFunc"), "runs a Python function when the graph runs"
    ),
    **dict.fromkeys(
        _names(
            "ReadFile ImmutableConst MatchingFiles MatchingFilesDataset "
            "ExperimentalMatchingFilesDataset InitializeTableFromTextFile "
            "InitializeTableFromTextFileV2 FixedLengthRecordDataset FixedLengthRecordDatasetV2 "
            "TextLineDataset TFRecordDataset TFRecordDatasetV2 CSVDataset CSVDatasetV2 "
            "ExperimentalCSVDataset SqlDataset ExperimentalSqlDataset LMDBDataset "
            "ExperimentalLMDBDataset LoadAndRemapMatrix LoadDataset ExperimentalLoadDataset "
            "WholeFileReader WholeFileReaderV2 TextLineReader TextLineReaderV2 "
            "FixedLengthRecordReader FixedLengthRecordReaderV2 TFRecordReader TFRecordReaderV2 "
            "LMDBReader SnapshotDataset SnapshotDatasetV2 SnapshotDatasetReader "
            "SnapshotChunkDataset ListSnapshotChunksDataset"
        ),
        "reads files at a path the graph chooses",
    ),
    **dict.fromkeys(
        _names(
            "WriteFile SaveDataset SaveDatasetV2 DatasetToTFRecord ExperimentalDatasetToTFRecord "
            "CreateSummaryFileWriter CreateSummaryDbWriter WriteSummary WriteScalarSummary "
            "WriteHistogramSummary WriteImageSummary WriteAudioSummary WriteGraphSummary "
            "WriteRawProtoSummary ImportEvent DistributedSave"
        ),
        "writes files at a path the graph chooses",
    ),
    **dict.fromkeys(
        _names(
            "DebugIdentity DebugIdentityV2 DebugIdentityV3 DebugNanCount DebugNumericSummary "
            "RpcCall RpcClient RpcServer RpcServerRegister RpcServerStart RegisterDataset "
            "RegisterDatasetV2 DataServiceDataset DataServiceDatasetV2 DataServiceDatasetV3 "
            "DataServiceDatasetV4"
        ),
        "sends data to or fetches it from a URL the graph chooses",
    ),
}
"""Ops that touch files, run Python or use the network, with why."""

SAVER_OPS = frozenset(
    _names("Save SaveV2 SaveSlices Restore RestoreV2 RestoreSlice MergeV2Checkpoints")
)
"""Checkpoint ops: expected in the saver subgraph, dangerous anywhere else (they write
and read files at a path taken from the graph)."""

PRINT_OPS = frozenset({"PrintV2"})
"""Ops that write to a file only when an attribute says so (``output_stream: file://...``)."""

KNOWN_OPS = frozenset(
    _names(
        """
    Abs Acos Acosh Add AddN AddV2 All Any ApproximateEqual ArgMax ArgMin AsString Asin Asinh
    Assert Assign AssignAdd AssignAddVariableOp AssignSub AssignSubVariableOp AssignVariableOp
    Atan Atan2 Atanh AvgPool AvgPool3D BatchMatMul BatchMatMulV2 BatchMatMulV3
    BatchNormWithGlobalNormalization BatchToSpaceND BiasAdd BiasAddV1 Bitcast BitwiseAnd
    BitwiseOr BitwiseXor BroadcastArgs BroadcastGradientArgs BroadcastTo Bucketize Case Cast
    Ceil CheckNumerics CheckNumericsV2 Cholesky ClipByValue Complex ComplexAbs Concat
    ConcatOffset ConcatV2 Conj Const ControlTrigger Conv Conv2D Conv2DBackpropInput Conv3D
    Conv3DBackpropInputV2 Cos Cosh Cross Cumprod Cumsum DecodeBase64 DecodeJpeg DecodePng
    DecodeImage DecodeRaw DepthToSpace DepthwiseConv2dNative DestroyResourceOp Diag DiagPart
    Digamma Dilation2D DisableCopyOnRead Div DivNoNan DynamicPartition DynamicStitch Einsum Elu
    Empty EmptyTensorList EncodeBase64 EnsureShape Enter Equal Erf Erfc Erfinv EuclideanNorm
    Exit Exp ExpandDims Expm1 ExtractImagePatches FFT FFT2D FFT3D
    FakeQuantWithMinMaxArgs FakeQuantWithMinMaxVars FakeQuantWithMinMaxVarsPerChannel Fill
    Fingerprint Floor FloorDiv FloorMod FusedBatchNorm FusedBatchNormV2 FusedBatchNormV3
    Gather GatherNd GatherV2 Greater GreaterEqual HashTable HashTableV2 IFFT IFFT2D IFFT3D
    IRFFT Identity IdentityN If Imag InTopKV2 InvertPermutation IsFinite IsInf IsNan
    IsVariableInitialized L2Loss LRN LeakyRelu LeftShift Less LessEqual Lgamma LinSpace
    ListDiff Log Log1p LogMatrixDeterminant LogSoftmax LogicalAnd LogicalNot LogicalOr
    LookupTableExportV2 LookupTableFindV2 LookupTableImportV2 LookupTableInsertV2
    LookupTableRemoveV2 LookupTableSizeV2 LoopCond LowerBound MatMul MatrixBandPart
    MatrixDeterminant MatrixDiag MatrixDiagPart MatrixDiagPartV3 MatrixDiagV3 MatrixInverse
    MatrixSetDiag MatrixSetDiagV3 MatrixSolve MatrixTriangularSolve Max MaxPool MaxPool3D
    MaxPoolV2 MaxPoolWithArgmax Maximum Mean Merge Min Minimum MirrorPad Mod Mul MulNoNan
    Multinomial MutableDenseHashTableV2 MutableHashTableOfTensorsV2 MutableHashTableV2 Neg
    NextIteration NoOp NonMaxSuppressionV3 NonMaxSuppressionV4 NonMaxSuppressionV5 NotEqual
    OneHot OnesLike OptionalFromValue OptionalGetValue OptionalHasValue OptionalNone Pack Pad
    PadV2 PartitionedCall Placeholder PlaceholderWithDefault Pow PreventGradient Prod
    QuantizeAndDequantizeV2 QuantizeAndDequantizeV3 QuantizeAndDequantizeV4 QuantizeV2
    Dequantize RFFT RaggedGather RaggedRange RaggedTensorFromVariant RaggedTensorToSparse
    RaggedTensorToTensor RaggedTensorToVariant RandomShuffle RandomStandardNormal RandomUniform
    RandomUniformInt Range Rank ReadVariableOp Real RealDiv Reciprocal ReduceJoin RefIdentity
    RegexFullMatch RegexReplace Relu Relu6 Reshape ResizeArea ResizeBicubic ResizeBilinear
    ResizeNearestNeighbor ResourceGather ResourceGatherNd ResourceScatterAdd
    ResourceScatterUpdate ResourceStridedSliceAssign Reverse ReverseSequence ReverseV2
    RightShift Rint Roll Round Rsqrt ScatterNd SegmentMax SegmentMean SegmentMin SegmentProd
    SegmentSum Select SelectV2 Selu Shape ShapeN ShardedFilename ShardedFilespec Sigmoid Sign
    Sin Sinh Size Slice Snapshot Softmax SoftmaxCrossEntropyWithLogits Softplus Softsign
    SpaceToBatchND SpaceToDepth SparseFillEmptyRows SparseReshape SparseSegmentMean
    SparseSegmentSqrtN SparseSegmentSum SparseSoftmaxCrossEntropyWithLogits SparseTensorDenseMatMul
    SparseToDense Split SplitV Sqrt Square SquaredDifference Squeeze StatefulPartitionedCall
    StatelessIf StatelessRandomGetKeyCounter StatelessRandomNormalV2 StatelessRandomUniformV2
    StatelessRandomUniformIntV2 StatelessTruncatedNormalV2 StatelessCase StatelessWhile
    StaticRegexFullMatch StaticRegexReplace StopGradient StridedSlice StridedSliceGrad
    StringFormat StringJoin StringLength StringLower StringSplit StringSplitV2 StringStrip
    StringToHashBucketFast StringToNumber StringUpper Sub Substr Sum Svd Switch Tan Tanh
    TensorListFromTensor TensorListGetItem TensorListLength TensorListReserve
    TensorListSetItem TensorListStack TensorScatterAdd TensorScatterUpdate
    TensorStridedSliceUpdate Tile TopKV2 Transpose TruncateDiv TruncateMod TruncatedNormal
    UnicodeDecodeWithOffsets UnicodeEncode UnicodeScript UnicodeTranscode Unique UniqueV2
    Unpack UnsortedSegmentMax UnsortedSegmentMin UnsortedSegmentProd UnsortedSegmentSum
    UpperBound VarHandleOp VarIsInitializedOp Variable VariableShape VariableV2 Where While
    Xdivy Xlog1py Xlogy ZerosLike
        """
    )
)
"""Ordinary ops: tensor math, control flow, variables, lookups, strings."""

KNOWN_PREFIXES = ("ResourceApply", "ResourceSparseApply", "Apply", "SparseApply", "Stateless")
"""Optimizer update ops and stateless random ops: tensor math under many names."""
KNOWN_SUFFIXES = ("Grad", "GradV2", "GradGrad", "BackpropInput", "BackpropFilter")
"""Gradient ops: tensor math."""


def is_known(op: str) -> bool:
    """Whether ``op`` is an ordinary TensorFlow op (not a file, code or network op)."""
    if op in KNOWN_OPS:
        return True
    return op not in DANGEROUS_OPS and (
        op.startswith(KNOWN_PREFIXES) or op.endswith(KNOWN_SUFFIXES)
    )
