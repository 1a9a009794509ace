; 2x2 max pooling, stride 2, of a 4x4x2 (HWC) tensor on the vector unit: one instruction per window tap.
.spec any
.input x 0 int8 4x4x2
.output y 32 int8 2x2x2
load signal=vector memory=act sram=0 dram=x x=32 y=1 z=1
vector wait=load function=copy m0=2 m1=2 cols=2 a=0 a_stride0=4 a_stride1=16 d=64 d_stride=2
vector function=max m0=2 m1=2 cols=2 a=2 a_stride0=4 a_stride1=16 d=64 d_stride=2
vector function=max m0=2 m1=2 cols=2 a=8 a_stride0=4 a_stride1=16 d=64 d_stride=2
vector signal=store function=max m0=2 m1=2 cols=2 a=10 a_stride0=4 a_stride1=16 d=64 d_stride=2
store wait=vector memory=act sram=64 dram=y x=8 y=1 z=1
end
