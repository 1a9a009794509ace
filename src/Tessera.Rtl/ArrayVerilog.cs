namespace Tessera.Rtl;

/// <summary>Verilog text of the compute array: the int8 processing element and the weight-stationary
/// systolic array around it. Parameters default to the spec's values; the structure is generic
/// (Verilog generate loops), so the same text serves every configuration.</summary>
internal static class ArrayVerilog
{
    /// <summary>Combinational MAC plus two stationary weight registers (the double-buffered weights the
    /// simulator's timing model assumes); the array owns the pipeline registers between elements so that edge
    /// elements have no dead registers (lint stays clean).</summary>
    public const string ProcessingElement = """
        // One multiply-accumulate element: partial_sum_out = partial_sum_in + activation * weight. The element holds
        // two weight banks: the next tile's weight is written into one (`load`, `load_bank`) while the current
        // tile's activations multiply with the other; `bank` travels with each activation and says which.
        // int32 arithmetic wraps like the simulator's.
        module tessera_processing_element (
            input  wire               clock,
            input  wire               load,
            input  wire               load_bank,
            input  wire signed [7:0]  weight_in,
            input  wire               bank,
            input  wire signed [7:0]  activation,
            input  wire signed [31:0] partial_sum_in,
            output wire signed [31:0] partial_sum_out
        );
            reg signed [7:0] weight_bank0, weight_bank1;
            always @(posedge clock) begin
                if (load && !load_bank) weight_bank0 <= weight_in;
                if (load && load_bank) weight_bank1 <= weight_in;
            end
            wire signed [7:0] weight = bank ? weight_bank1 : weight_bank0;
            // An 8 x 8 signed product always fits 16 bits, so the sign-extended 16-bit multiply is exact.
            wire signed [15:0] product = {{8{activation[7]}}, activation} * {{8{weight[7]}}, weight};
            assign partial_sum_out = partial_sum_in + {{16{product[15]}}, product};
        endmodule

        """;

    /// <summary>Weight-stationary array with double-buffered weights. Activation row element r enters array row r
    /// skewed by r cycles, moves right one column per cycle, partial sums move down one row per cycle, and column
    /// c's result is de-skewed by COLUMNS-1-c cycles so a whole output row leaves together, ROWS + COLUMNS - 2
    /// cycles after its activations entered (the simulator's fill/drain figure). Weights are skewed the same way:
    /// a weight row presented with load_row[r] reaches column c c cycles later, so a bank is rewritten exactly
    /// behind the last activation wavefront that used it, and the next tile's weights can be written while the
    /// previous tile's activations are still crossing the array.</summary>
    public const string SystolicArray = """
        module tessera_systolic_array #(
            parameter ROWS = 8,
            parameter COLUMNS = 8
        ) (
            input  wire                   clock,
            // Weight row on `weights` goes to the array row whose bit is set in load_row, into bank load_bank.
            input  wire [ROWS-1:0]        load_row,
            input  wire                   load_bank,
            input  wire [COLUMNS*8-1:0]   weights,
            // The weight bank the activations entering this cycle multiply with.
            input  wire                   bank,
            input  wire [ROWS*8-1:0]      activations,
            output wire [COLUMNS*32-1:0]  results
        );
            wire [ROWS*COLUMNS*8-1:0]  activation_at;
            wire [ROWS*COLUMNS-1:0]    bank_at;
            wire [ROWS*COLUMNS*32-1:0] sum_at;
            wire [COLUMNS*ROWS-1:0]    load_row_at;
            wire [COLUMNS-1:0]         load_bank_at;
            wire [COLUMNS*8-1:0]       weight_at;

            // Weight skew, control part: one chain shared by all columns, column c taps the stage c cycles late.
            reg [ROWS-1:0]    load_row_delay [0:COLUMNS-2];
            reg [COLUMNS-2:0] load_bank_delay;
            integer load_stage;
            always @(posedge clock) begin
                load_row_delay[0] <= load_row;
                load_bank_delay[0] <= load_bank;
                for (load_stage = 1; load_stage < COLUMNS-1; load_stage = load_stage + 1) begin
                    load_row_delay[load_stage] <= load_row_delay[load_stage-1];
                    load_bank_delay[load_stage] <= load_bank_delay[load_stage-1];
                end
            end

            genvar row, column;
            generate
                for (column = 0; column < COLUMNS; column = column + 1) begin : weight_skew
                    // Weight skew, data part: column c's weight byte waits c cycles.
                    if (column == 0) begin : direct
                        assign load_row_at[0 +: ROWS] = load_row;
                        assign load_bank_at[0] = load_bank;
                        assign weight_at[0 +: 8] = weights[0 +: 8];
                    end else begin : delayed
                        reg [7:0] delay [0:column-1];
                        integer stage;
                        always @(posedge clock) begin
                            delay[0] <= weights[column*8 +: 8];
                            for (stage = 1; stage < column; stage = stage + 1) delay[stage] <= delay[stage-1];
                        end
                        assign load_row_at[column*ROWS +: ROWS] = load_row_delay[column-1];
                        assign load_bank_at[column] = load_bank_delay[column-1];
                        assign weight_at[column*8 +: 8] = delay[column-1];
                    end
                end
                for (row = 0; row < ROWS; row = row + 1) begin : skew
                    // Input skew: row r's operand (and its bank bit) waits r cycles to meet the partial sum from above.
                    if (row == 0) begin : direct
                        assign activation_at[0 +: 8] = activations[0 +: 8];
                        assign bank_at[0] = bank;
                    end else begin : delayed
                        reg [8:0] delay [0:row-1];
                        integer stage;
                        always @(posedge clock) begin
                            delay[0] <= {bank, activations[row*8 +: 8]};
                            for (stage = 1; stage < row; stage = stage + 1) delay[stage] <= delay[stage-1];
                        end
                        assign {bank_at[row*COLUMNS], activation_at[(row*COLUMNS)*8 +: 8]} = delay[row-1];
                    end
                end
                for (row = 0; row < ROWS; row = row + 1) begin : array_row
                    for (column = 0; column < COLUMNS; column = column + 1) begin : element
                        wire [31:0] partial_sum_in;
                        if (column > 0) begin : pass_right
                            reg [8:0] activation_register;
                            always @(posedge clock) activation_register <= {bank_at[row*COLUMNS+column-1], activation_at[(row*COLUMNS+column-1)*8 +: 8]};
                            assign {bank_at[row*COLUMNS+column], activation_at[(row*COLUMNS+column)*8 +: 8]} = activation_register;
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
                            .load(load_row_at[column*ROWS+row]),
                            .load_bank(load_bank_at[column]),
                            .weight_in(weight_at[column*8 +: 8]),
                            .bank(bank_at[row*COLUMNS+column]),
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
