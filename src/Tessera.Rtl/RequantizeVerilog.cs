namespace Tessera.Rtl;

/// <summary>Verilog of the vector unit's requantization datapath, stage for stage the arithmetic of
/// Tessera.Hardware.FixedPoint.Requantize (TFLite's MultiplyByQuantizedMultiplier + zero point + clamp), so
/// the RTL and the simulator share one definition of rounding.</summary>
internal static class RequantizeVerilog
{
    public const string Requantize = """
        // Four stages (the spec's vector pipeline_cycles): 1 left shift and 32 x 32 multiply, 2 gemmlowp's
        // SaturatingRoundingDoublingHighMul (nudge, divide by 2^31 truncating toward zero), 3 rounding divide by
        // 2^right (ties away from zero), 4 zero point and clamp to [minimum, maximum]. shift lies in [-31, 30].
        module tessera_requantize (
            input  wire               clock,
            input  wire signed [31:0] accumulator,
            input  wire signed [31:0] multiplier,
            input  wire signed [5:0]  shift,
            input  wire signed [31:0] zero_point,
            input  wire signed [7:0]  minimum,
            input  wire signed [7:0]  maximum,
            output reg  signed [7:0]  result
        );
            wire        left_shift = shift > 6'sd0;
            wire [4:0]  left = left_shift ? shift[4:0] : 5'd0;
            wire [4:0]  right = left_shift ? 5'd0 : (~shift[4:0]) + 5'd1;
            wire [31:0] shifted = accumulator << left;

            reg signed [63:0] product;
            reg               saturate;
            reg [4:0]         right_1;
            reg signed [31:0] zero_point_1, zero_point_2, zero_point_3;
            reg signed [7:0]  minimum_1, minimum_2, minimum_3, maximum_1, maximum_2, maximum_3;
            always @(posedge clock) begin
                product <= {{32{shifted[31]}}, shifted} * {{32{multiplier[31]}}, multiplier};
                saturate <= shifted == 32'h80000000 && multiplier == 32'sh80000000;
                right_1 <= right;
                zero_point_1 <= zero_point;
                minimum_1 <= minimum;
                maximum_1 <= maximum;
            end

            // (product + nudge) / 2^31 in C# truncates toward zero: arithmetic shift, plus one for a negative
            // value with a nonzero remainder.
            wire signed [63:0] nudge = product[63] ? 64'sd1 - 64'sd1073741824 : 64'sd1073741824;
            wire signed [63:0] nudged = product + nudge;
            wire [31:0] toward_zero = nudged[62:31] + {31'd0, nudged[63] && nudged[30:0] != 31'd0};
            reg signed [31:0] high;
            reg [4:0]         right_2;
            always @(posedge clock) begin
                high <= saturate ? 32'sh7fffffff : toward_zero;
                right_2 <= right_1;
                zero_point_2 <= zero_point_1;
                minimum_2 <= minimum_1;
                maximum_2 <= maximum_1;
            end

            wire [31:0] mask = (32'd1 << right_2) - 32'd1;
            wire [31:0] remainder = high & mask;
            wire [31:0] threshold = (mask >> 1) + {31'd0, high[31]};
            reg signed [31:0] scaled;
            always @(posedge clock) begin
                // $signed keeps the expression signed so >>> stays arithmetic (an unsigned operand would make it logical).
                scaled <= (high >>> right_2) + $signed({31'd0, remainder > threshold});
                zero_point_3 <= zero_point_2;
                minimum_3 <= minimum_2;
                maximum_3 <= maximum_2;
            end

            wire signed [31:0] offset = scaled + zero_point_3;
            wire signed [31:0] low_bound = {{24{minimum_3[7]}}, minimum_3};
            wire signed [31:0] high_bound = {{24{maximum_3[7]}}, maximum_3};
            always @(posedge clock) begin
                if (offset < low_bound) result <= minimum_3;
                else if (offset > high_bound) result <= maximum_3;
                else result <= offset[7:0];
            end
        endmodule

        """;

    public const string VectorRequantize = """
        // LANES requantizers side by side with per-tensor parameters: the vector unit's requantize path.
        module tessera_vector_requantize #(
            parameter LANES = 8
        ) (
            input  wire                   clock,
            input  wire [LANES*32-1:0]    accumulators,
            input  wire signed [31:0]     multiplier,
            input  wire signed [5:0]      shift,
            input  wire signed [31:0]     zero_point,
            input  wire signed [7:0]      minimum,
            input  wire signed [7:0]      maximum,
            output wire [LANES*8-1:0]     results
        );
            genvar lane;
            generate
                for (lane = 0; lane < LANES; lane = lane + 1) begin : requantize_lane
                    tessera_requantize requantize (
                        .clock(clock), .accumulator(accumulators[lane*32 +: 32]), .multiplier(multiplier),
                        .shift(shift), .zero_point(zero_point), .minimum(minimum), .maximum(maximum),
                        .result(results[lane*8 +: 8])
                    );
                end
            endgenerate
        endmodule

        """;
}
