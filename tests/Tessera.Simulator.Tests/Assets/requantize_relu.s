; y = ReLU(requantize(a x w + bias)): a 4x8 int8 GEMM on the array, bias and requantization on the vector unit.
; Written by hand; runs on every configuration (.spec any).
.spec any
.input a 0 int8 4x8
.const w 32 int8 37 -51 74 -104 -91 -80 59 -99 -19 -109 -84 94 86 -93 -5 -82 89 -98 -65 -14 -97 75 -103 -15 -105 -60 20 86 -55 -68 29 -36 -76 -32 62 -79 -96 -98 -23 126 90 32 110 104 57 25 -1 -36 -4 -87 25 125 47 101 19 -91 -68 86 -44 47 -51 122 87 -108
.const bias 96 int32 2474 -2365 1571 1694 -430 -214 2695 -132
; requantize parameters: zero_point, min (= zero point: ReLU), max, multiplier (0.625 in Q31), shift (-6)
.const q 128 int32 3 3 127 1342177280 -6
.output y 256 int8 4x8
.set ACC_BIAS 64
load memory=act sram=0 dram=a x=32 y=1 z=1
load memory=weight sram=0 dram=w x=64 y=1 z=1 signal=compute
load memory=accumulator sram=ACC_BIAS dram=bias x=13 y=1 z=1 signal=vector   ; bias and parameters in one transfer
gemm wait=load signal=vector m0=4 m1=1 k=8 n=8 input=0 input_stride0=8 weight=0 weight_stride=8 output=0 output_stride=8
vector wait=load|compute function=bias m0=4 m1=1 cols=8 a=0 a_stride0=8 b=ACC_BIAS d=0 d_stride=8
vector signal=store function=requantize m0=4 m1=1 cols=8 a=0 a_stride0=8 d=512 d_stride=8 p=ACC_BIAS+8
store wait=vector memory=act sram=512 dram=y x=32 y=1 z=1
end
