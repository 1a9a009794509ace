namespace Tessera.Rtl;

/// <summary>Verilog text of the compute array: the int8 processing element and the weight-stationary
/// systolic array around it. Parameters default to the spec's values; the structure is generic
/// (Verilog generate loops), so the same text serves every configuration.</summary>
internal static class ArrayVerilog
{
    /// <summary>Purely combinational MAC plus the stationary weight register; the array owns the pipeline
    /// registers between elements so that edge elements have no dead registers (lint stays clean).</summary>
    public const string ProcessingElement = """
        // One multiply-accumulate element: partial_sum_out = partial_sum_in + activation * weight, where weight is
        // the stationary int8 operand captured while `load` is high. int32 arithmetic wraps like the simulator's.
        module tessera_processing_element (
            input  wire               clock,
            input  wire               load,
            input  wire signed [7:0]  weight_in,
            input  wire signed [7:0]  activation,
            input  wire signed [31:0] partial_sum_in,
            output wire signed [31:0] partial_sum_out
        );
            reg signed [7:0] weight;
            always @(posedge clock) begin
                if (load) weight <= weight_in;
            end
            // An 8 x 8 signed product always fits 16 bits, so the sign-extended 16-bit multiply is exact.
            wire signed [15:0] product = {{8{activation[7]}}, activation} * {{8{weight[7]}}, weight};
            assign partial_sum_out = partial_sum_in + {{16{product[15]}}, product};
        endmodule

        """;

    /// <summary>Weight-stationary array: weight row r is loaded by raising load_row[r]; activation row element r
    /// enters array row r skewed by r cycles, moves right one column per cycle, partial sums move down one row
    /// per cycle, and column c's result is de-skewed by COLUMNS-1-c cycles so a whole output row leaves together,
    /// ROWS + COLUMNS - 2 cycles after its activations entered (the simulator's fill/drain figure).</summary>
    public const string SystolicArray = """
        module tessera_systolic_array #(
            parameter ROWS = 8,
            parameter COLUMNS = 8
        ) (
            input  wire                   clock,
            input  wire [ROWS-1:0]        load_row,
            input  wire [COLUMNS*8-1:0]   weights,
            input  wire [ROWS*8-1:0]      activations,
            output wire [COLUMNS*32-1:0]  results
        );
            wire [ROWS*COLUMNS*8-1:0]  activation_at;
            wire [ROWS*COLUMNS*32-1:0] sum_at;
            genvar row, column;
            generate
                for (row = 0; row < ROWS; row = row + 1) begin : skew
                    // Input skew: row r's operand waits r cycles so it meets the partial sum coming from above.
                    if (row == 0) begin : direct
                        assign activation_at[0 +: 8] = activations[0 +: 8];
                    end else begin : delayed
                        reg [7:0] delay [0:row-1];
                        integer stage;
                        always @(posedge clock) begin
                            delay[0] <= activations[row*8 +: 8];
                            for (stage = 1; stage < row; stage = stage + 1) delay[stage] <= delay[stage-1];
                        end
                        assign activation_at[(row*COLUMNS)*8 +: 8] = delay[row-1];
                    end
                end
                for (row = 0; row < ROWS; row = row + 1) begin : array_row
                    for (column = 0; column < COLUMNS; column = column + 1) begin : element
                        wire [31:0] partial_sum_in;
                        if (column > 0) begin : pass_right
                            reg [7:0] activation_register;
                            always @(posedge clock) activation_register <= activation_at[(row*COLUMNS+column-1)*8 +: 8];
                            assign activation_at[(row*COLUMNS+column)*8 +: 8] = activation_register;
                        end
                        if (row == 0) begin : top
                            assign partial_sum_in = 32'd0;
                        end else begin : pass_down
                            reg [31:0] partial_sum_register;
                            always @(posedge clock) partial_sum_register <= sum_at[((row-1)*COLUMNS+column)*32 +: 32];
                            assign partial_sum_in = partial_sum_register;
                        end
                        tessera_processing_element processing_element (
                            .clock(clock),
                            .load(load_row[row]),
                            .weight_in(weights[column*8 +: 8]),
                            .activation(activation_at[(row*COLUMNS+column)*8 +: 8]),
                            .partial_sum_in(partial_sum_in),
                            .partial_sum_out(sum_at[(row*COLUMNS+column)*32 +: 32])
                        );
                    end
                end
                for (column = 0; column < COLUMNS; column = column + 1) begin : deskew
                    // Output de-skew: column c finished c cycles after column 0, so column c waits the rest.
                    if (column == COLUMNS - 1) begin : direct
                        assign results[column*32 +: 32] = sum_at[((ROWS-1)*COLUMNS+column)*32 +: 32];
                    end else begin : delayed
                        reg [31:0] delay [0:COLUMNS-2-column];
                        integer stage;
                        always @(posedge clock) begin
                            delay[0] <= sum_at[((ROWS-1)*COLUMNS+column)*32 +: 32];
                            for (stage = 1; stage <= COLUMNS-2-column; stage = stage + 1) delay[stage] <= delay[stage-1];
                        end
                        assign results[column*32 +: 32] = delay[COLUMNS-2-column];
                    end
                end
            endgenerate
        endmodule

        """;
}
