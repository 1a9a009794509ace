namespace Tessera.Rtl;

/// <summary>Verilog of the core top: scratchpad and accumulator memories, a host port to fill and read them,
/// and the sequencer that executes one GEMM tile instruction (the ISA's gemm fields) on the systolic array.
/// Timing (what the co-simulation checks against the simulator's model): ROWS cycles to load the weight tile
/// into an idle array, one input row per cycle, and each output row written ROWS + COLUMNS - 2 cycles after its
/// input row entered.</summary>
internal static class CoreVerilog
{
    public static string Core(RtlParameters p) => $$$"""
        module tessera_core #(
            parameter ROWS = {{{p.Rows}}},
            parameter COLUMNS = {{{p.Columns}}},
            parameter ACTIVATION_ADDRESS_BITS = {{{p.ActivationAddressBits}}},
            parameter WEIGHT_ADDRESS_BITS = {{{p.WeightAddressBits}}},
            parameter ACCUMULATOR_ADDRESS_BITS = {{{p.AccumulatorAddressBits}}},
            parameter HOST_ADDRESS_BITS = {{{p.HostAddressBits}}}
        ) (
            input  wire                                clock,
            input  wire                                reset,
            // Host port: memory 0 activation scratchpad (byte), 1 weight scratchpad (byte), 2 accumulators (int32).
            input  wire                                host_write,
            input  wire [1:0]                          host_memory,
            input  wire [HOST_ADDRESS_BITS-1:0]        host_address,
            input  wire [31:0]                         host_write_data,
            output wire [31:0]                         host_read_data,
            // One gemm instruction, fields as in the ISA, addresses sized to the memories.
            input  wire                                start,
            input  wire                                accumulate,
            input  wire [11:0]                         m0,
            input  wire [11:0]                         m1,
            input  wire [11:0]                         k,
            input  wire [11:0]                         n,
            input  wire [ACTIVATION_ADDRESS_BITS-1:0]  input_address,
            input  wire [ACTIVATION_ADDRESS_BITS-1:0]  input_stride0,
            input  wire [ACTIVATION_ADDRESS_BITS-1:0]  input_stride1,
            input  wire [WEIGHT_ADDRESS_BITS-1:0]      weight_address,
            input  wire [WEIGHT_ADDRESS_BITS-1:0]      weight_stride,
            input  wire [ACCUMULATOR_ADDRESS_BITS-1:0] output_address,
            input  wire [ACCUMULATOR_ADDRESS_BITS-1:0] output_stride,
            output wire                                busy,
            output reg                                 done
        );
            localparam IDLE = 2'd0, LOAD = 2'd1, STREAM = 2'd2;
            localparam LATENCY = ROWS + COLUMNS - 2;

            // Public to Verilator so the co-simulation testbench can fill them between tiles without spending
            // host-port cycles (the tile's own cycles are counted from start); synthesis ignores the comment.
            reg [7:0]  activation_scratchpad [0:(1 << ACTIVATION_ADDRESS_BITS)-1] /*verilator public*/;
            reg [7:0]  weight_scratchpad [0:(1 << WEIGHT_ADDRESS_BITS)-1] /*verilator public*/;
            reg [31:0] accumulators [0:(1 << ACCUMULATOR_ADDRESS_BITS)-1] /*verilator public*/;

            reg [1:0]  state;
            reg        accumulate_tile;
            reg [11:0] inner_rows, reduction, columns_used;
            reg [23:0] total_rows, rows_fed, rows_written;
            reg [11:0] inner_index;
            reg [11:0] load_index;
            reg [ACTIVATION_ADDRESS_BITS-1:0]  stride0, stride1, outer_address, row_address;
            reg [WEIGHT_ADDRESS_BITS-1:0]      weight_stride_tile, weight_row_address;
            reg [ACCUMULATOR_ADDRESS_BITS-1:0] output_stride_tile, write_address;
            reg [LATENCY-1:0] valid_line;

            wire feeding = state == STREAM && rows_fed != total_rows;
            wire writing = state == STREAM && valid_line[LATENCY-1];
            assign busy = state != IDLE;
            assign host_read_data = accumulators[host_address[ACCUMULATOR_ADDRESS_BITS-1:0]];

            wire [ROWS-1:0]                            load_row;
            wire [COLUMNS*8-1:0]                       weights;
            wire [ROWS*8-1:0]                          activations;
            wire [COLUMNS*32-1:0]                      results;
            wire [COLUMNS*32-1:0]                      updated;
            wire [COLUMNS*ACCUMULATOR_ADDRESS_BITS-1:0] write_addresses;
            wire [COLUMNS-1:0]                         column_used;
            genvar row, column;
            generate
                for (row = 0; row < ROWS; row = row + 1) begin : operand_row
                    localparam [ACTIVATION_ADDRESS_BITS-1:0] OFFSET = row;
                    localparam [11:0] INDEX = row;
                    assign load_row[row] = state == LOAD && load_index == INDEX;
                    assign activations[row*8 +: 8] = feeding && reduction > INDEX ? activation_scratchpad[row_address + OFFSET] : 8'd0;
                end
                for (column = 0; column < COLUMNS; column = column + 1) begin : operand_column
                    localparam [WEIGHT_ADDRESS_BITS-1:0] WEIGHT_OFFSET = column;
                    localparam [ACCUMULATOR_ADDRESS_BITS-1:0] OUTPUT_OFFSET = column;
                    localparam [11:0] INDEX = column;
                    assign column_used[column] = columns_used > INDEX;
                    assign weights[column*8 +: 8] = state == LOAD && reduction > load_index && column_used[column]
                        ? weight_scratchpad[weight_row_address + WEIGHT_OFFSET] : 8'd0;
                    assign write_addresses[column*ACCUMULATOR_ADDRESS_BITS +: ACCUMULATOR_ADDRESS_BITS] = write_address + OUTPUT_OFFSET;
                    assign updated[column*32 +: 32] = (accumulate_tile ? accumulators[write_address + OUTPUT_OFFSET] : 32'd0) + results[column*32 +: 32];
                end
            endgenerate

            tessera_systolic_array #(.ROWS(ROWS), .COLUMNS(COLUMNS)) array (
                .clock(clock), .load_row(load_row), .weights(weights), .activations(activations), .results(results)
            );

            integer index;
            always @(posedge clock) begin
                if (host_write && host_memory == 2'd0) activation_scratchpad[host_address[ACTIVATION_ADDRESS_BITS-1:0]] <= host_write_data[7:0];
                if (host_write && host_memory == 2'd1) weight_scratchpad[host_address[WEIGHT_ADDRESS_BITS-1:0]] <= host_write_data[7:0];
                if (host_write && host_memory == 2'd2) accumulators[host_address[ACCUMULATOR_ADDRESS_BITS-1:0]] <= host_write_data;
                if (writing) begin
                    for (index = 0; index < COLUMNS; index = index + 1) begin
                        if (column_used[index]) accumulators[write_addresses[index*ACCUMULATOR_ADDRESS_BITS +: ACCUMULATOR_ADDRESS_BITS]] <= updated[index*32 +: 32];
                    end
                end
            end

            always @(posedge clock) begin
                if (reset) begin
                    state <= IDLE;
                    done <= 1'b0;
                    valid_line <= {LATENCY{1'b0}};
                end else begin
                    valid_line <= {valid_line[LATENCY-2:0], feeding};
                    case (state)
                        IDLE: if (start) begin
                            state <= LOAD;
                            done <= 1'b0;
                            accumulate_tile <= accumulate;
                            inner_rows <= m0;
                            reduction <= k;
                            columns_used <= n;
                            total_rows <= m0 * m1;
                            stride0 <= input_stride0;
                            stride1 <= input_stride1;
                            outer_address <= input_address;
                            row_address <= input_address;
                            weight_stride_tile <= weight_stride;
                            weight_row_address <= weight_address;
                            output_stride_tile <= output_stride;
                            write_address <= output_address;
                            load_index <= 12'd0;
                            rows_fed <= 24'd0;
                            rows_written <= 24'd0;
                            inner_index <= 12'd0;
                        end
                        LOAD: begin
                            // Weight row i goes to array row i; rows beyond k load zeros so stale weights add nothing.
                            load_index <= load_index + 12'd1;
                            weight_row_address <= weight_row_address + weight_stride_tile;
                            if (load_index == ROWS - 1) state <= STREAM;
                        end
                        STREAM: begin
                            if (feeding) begin
                                rows_fed <= rows_fed + 24'd1;
                                if (inner_index == inner_rows - 12'd1) begin
                                    inner_index <= 12'd0;
                                    outer_address <= outer_address + stride1;
                                    row_address <= outer_address + stride1;
                                end else begin
                                    inner_index <= inner_index + 12'd1;
                                    row_address <= row_address + stride0;
                                end
                            end
                            if (writing) begin
                                rows_written <= rows_written + 24'd1;
                                write_address <= write_address + output_stride_tile;
                                if (rows_written == total_rows - 24'd1) begin
                                    state <= IDLE;
                                    done <= 1'b1;
                                end
                            end
                        end
                        default: state <= IDLE;
                    endcase
                end
            end
        endmodule

        """;
}
