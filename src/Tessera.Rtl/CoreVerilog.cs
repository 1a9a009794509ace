namespace Tessera.Rtl;

/// <summary>Verilog of the core top: scratchpad and accumulator memories, a host port to fill and read them,
/// and the sequencer that executes GEMM tile instructions (the ISA's gemm fields) on the systolic array.
/// Three stages work on up to three tiles at once, which is what the simulator's timing model assumes:
/// the loader writes a tile's weight rows into one weight bank (ROWS cycles), the streamer feeds its input
/// rows (one per cycle) while the loader fills the other bank with the next tile's weights, and the writer
/// stores each output row ROWS + COLUMNS - 2 cycles after its input row entered. A tile streams when its
/// weights are loaded and the previous tile's slot of max(M, ROWS) cycles is over (the next weights need ROWS
/// cycles), so a tile on an idle array completes ROWS + M + ROWS + COLUMNS - 2 cycles after it is accepted and
/// back-to-back tiles stream every max(M, ROWS) cycles.</summary>
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
            // One gemm instruction, fields as in the ISA, addresses sized to the memories; taken on an edge where
            // start and ready are both high.
            input  wire                                start,
            output wire                                ready,
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
            // High for one cycle after the edge that wrote a tile's last output row (tiles finish in order).
            output reg                                 done
        );
            localparam LATENCY = ROWS + COLUMNS - 2;
            localparam [12:0] LAST_LOAD_ROW = ROWS - 1;
            localparam [23:0] SLOT_MINIMUM = ROWS;

            // Public to Verilator so the co-simulation testbench can fill them between tiles without spending
            // host-port cycles (the tile's own cycles are counted from start); synthesis ignores the comment.
            reg [7:0]  activation_scratchpad [0:(1 << ACTIVATION_ADDRESS_BITS)-1] /*verilator public*/;
            reg [7:0]  weight_scratchpad [0:(1 << WEIGHT_ADDRESS_BITS)-1] /*verilator public*/;
            reg [31:0] accumulators [0:(1 << ACCUMULATOR_ADDRESS_BITS)-1] /*verilator public*/;

            // Loader: the accepted instruction and the weight row it is writing (load_index = ROWS when all are in).
            reg        loader_full, next_bank;
            reg [12:0] load_index;
            reg        loader_bank, loader_accumulate;
            reg [11:0] loader_m0, loader_k, loader_n;
            reg [23:0] loader_rows;
            reg [ACTIVATION_ADDRESS_BITS-1:0]  loader_input, loader_stride0, loader_stride1;
            reg [WEIGHT_ADDRESS_BITS-1:0]      loader_weight_stride, weight_row_address;
            reg [ACCUMULATOR_ADDRESS_BITS-1:0] loader_output, loader_output_stride;

            // Streamer: the tile whose input rows enter the array, and what is left of its max(M, ROWS) slot.
            reg        stream_bank, stream_accumulate;
            reg [11:0] inner_rows, reduction, columns_used;
            reg [23:0] total_rows, rows_fed, slot_left;
            reg [11:0] inner_index;
            reg [ACTIVATION_ADDRESS_BITS-1:0]  stride0, stride1, outer_address, row_address;
            reg [ACCUMULATOR_ADDRESS_BITS-1:0] output_stride_tile, stream_write_address;

            // Writer: each fed row's destination travels LATENCY cycles beside it through the array.
            // Packed lines (stage s at bits s*width), shifted by concatenation: Verilator unrolls no loop for them.
            reg [LATENCY-1:0] valid_line, last_line, accumulate_line;
            reg [LATENCY*12-1:0]                       columns_line;
            reg [LATENCY*ACCUMULATOR_ADDRESS_BITS-1:0] address_line;

            wire loading = loader_full && load_index != LAST_LOAD_ROW + 13'd1;
            // The streamer takes the loaded tile on the edge that writes its last weight row (or later) once the
            // current slot ends; the loader can accept the next instruction on that same edge.
            wire take = loader_full && load_index >= LAST_LOAD_ROW && slot_left <= 24'd1;
            wire feeding = slot_left != 24'd0 && rows_fed != total_rows;
            wire writing = valid_line[LATENCY-1];
            wire [11:0] write_columns = columns_line[(LATENCY-1)*12 +: 12];
            wire [ACCUMULATOR_ADDRESS_BITS-1:0] write_address = address_line[(LATENCY-1)*ACCUMULATOR_ADDRESS_BITS +: ACCUMULATOR_ADDRESS_BITS];
            assign ready = !loader_full || take;
            assign busy = loader_full || slot_left != 24'd0 || valid_line != {LATENCY{1'b0}};
            assign host_read_data = accumulators[host_address[ACCUMULATOR_ADDRESS_BITS-1:0]];

            wire [ROWS-1:0]                            load_row;
            wire [COLUMNS*8-1:0]                       weights;
            wire [ROWS*8-1:0]                          activations;
            wire [COLUMNS*32-1:0]                      results;
            wire [COLUMNS*32-1:0]                      updated;
            wire [COLUMNS*ACCUMULATOR_ADDRESS_BITS-1:0] write_addresses;
            wire [COLUMNS-1:0]                         column_written;
            genvar row, column;
            generate
                for (row = 0; row < ROWS; row = row + 1) begin : operand_row
                    localparam [ACTIVATION_ADDRESS_BITS-1:0] OFFSET = row;
                    localparam [12:0] LOAD_INDEX = row;
                    localparam [11:0] INDEX = row;
                    assign load_row[row] = loading && load_index == LOAD_INDEX;
                    assign activations[row*8 +: 8] = feeding && reduction > INDEX ? activation_scratchpad[row_address + OFFSET] : 8'd0;
                end
                for (column = 0; column < COLUMNS; column = column + 1) begin : operand_column
                    localparam [WEIGHT_ADDRESS_BITS-1:0] WEIGHT_OFFSET = column;
                    localparam [ACCUMULATOR_ADDRESS_BITS-1:0] OUTPUT_OFFSET = column;
                    localparam [11:0] INDEX = column;
                    // Weight rows beyond k and columns beyond n load zeros, so a bank never keeps stale weights.
                    assign weights[column*8 +: 8] = loading && {1'b0, loader_k} > load_index && loader_n > INDEX
                        ? weight_scratchpad[weight_row_address + WEIGHT_OFFSET] : 8'd0;
                    assign column_written[column] = write_columns > INDEX;
                    assign write_addresses[column*ACCUMULATOR_ADDRESS_BITS +: ACCUMULATOR_ADDRESS_BITS] = write_address + OUTPUT_OFFSET;
                    assign updated[column*32 +: 32] = (accumulate_line[LATENCY-1] ? accumulators[write_address + OUTPUT_OFFSET] : 32'd0) + results[column*32 +: 32];
                end
            endgenerate

            tessera_systolic_array #(.ROWS(ROWS), .COLUMNS(COLUMNS)) array (
                .clock(clock), .load_row(load_row), .load_bank(loader_bank), .weights(weights),
                .bank(stream_bank), .activations(activations), .results(results)
            );

            integer index;
            always @(posedge clock) begin
                if (host_write && host_memory == 2'd0) activation_scratchpad[host_address[ACTIVATION_ADDRESS_BITS-1:0]] <= host_write_data[7:0];
                if (host_write && host_memory == 2'd1) weight_scratchpad[host_address[WEIGHT_ADDRESS_BITS-1:0]] <= host_write_data[7:0];
                if (host_write && host_memory == 2'd2) accumulators[host_address[ACCUMULATOR_ADDRESS_BITS-1:0]] <= host_write_data;
                if (writing) begin
                    for (index = 0; index < COLUMNS; index = index + 1) begin
                        if (column_written[index]) accumulators[write_addresses[index*ACCUMULATOR_ADDRESS_BITS +: ACCUMULATOR_ADDRESS_BITS]] <= updated[index*32 +: 32];
                    end
                end
            end

            // Writer pipeline: shifts every cycle; the streamer puts each fed row's destination at its head.
            always @(posedge clock) begin
                columns_line <= {columns_line[(LATENCY-1)*12-1:0], columns_used};
                address_line <= {address_line[(LATENCY-1)*ACCUMULATOR_ADDRESS_BITS-1:0], stream_write_address};
                if (reset) begin
                    valid_line <= {LATENCY{1'b0}};
                    last_line <= {LATENCY{1'b0}};
                    accumulate_line <= {LATENCY{1'b0}};
                    done <= 1'b0;
                end else begin
                    valid_line <= {valid_line[LATENCY-2:0], feeding};
                    last_line <= {last_line[LATENCY-2:0], feeding && rows_fed == total_rows - 24'd1};
                    accumulate_line <= {accumulate_line[LATENCY-2:0], stream_accumulate};
                    done <= writing && last_line[LATENCY-1];
                end
            end

            // Loader: accepts an instruction when empty (or on the edge its tile moves on), then writes one
            // weight row per cycle into the bank the previous-but-one tile used.
            always @(posedge clock) begin
                if (reset) begin
                    loader_full <= 1'b0;
                    next_bank <= 1'b0;
                end else if (start && ready) begin
                    loader_full <= 1'b1;
                    next_bank <= !next_bank;
                    loader_bank <= next_bank;
                    load_index <= 13'd0;
                    loader_accumulate <= accumulate;
                    loader_m0 <= m0;
                    loader_k <= k;
                    loader_n <= n;
                    loader_rows <= m0 * m1;
                    loader_input <= input_address;
                    loader_stride0 <= input_stride0;
                    loader_stride1 <= input_stride1;
                    loader_weight_stride <= weight_stride;
                    weight_row_address <= weight_address;
                    loader_output <= output_address;
                    loader_output_stride <= output_stride;
                end else begin
                    if (take) loader_full <= 1'b0;
                    if (loading) begin
                        load_index <= load_index + 13'd1;
                        weight_row_address <= weight_row_address + loader_weight_stride;
                    end
                end
            end

            // Streamer: one input row per cycle through the two-level strides (implicit im2col).
            always @(posedge clock) begin
                if (reset) begin
                    slot_left <= 24'd0;
                    rows_fed <= 24'd0;
                    total_rows <= 24'd0;
                end else if (take) begin
                    slot_left <= loader_rows > SLOT_MINIMUM ? loader_rows : SLOT_MINIMUM;
                    stream_bank <= loader_bank;
                    stream_accumulate <= loader_accumulate;
                    inner_rows <= loader_m0;
                    reduction <= loader_k;
                    columns_used <= loader_n;
                    total_rows <= loader_rows;
                    rows_fed <= 24'd0;
                    inner_index <= 12'd0;
                    stride0 <= loader_stride0;
                    stride1 <= loader_stride1;
                    outer_address <= loader_input;
                    row_address <= loader_input;
                    output_stride_tile <= loader_output_stride;
                    stream_write_address <= loader_output;
                end else begin
                    if (slot_left != 24'd0) slot_left <= slot_left - 24'd1;
                    if (feeding) begin
                        rows_fed <= rows_fed + 24'd1;
                        stream_write_address <= stream_write_address + output_stride_tile;
                        if (inner_index == inner_rows - 12'd1) begin
                            inner_index <= 12'd0;
                            outer_address <= outer_address + stride1;
                            row_address <= outer_address + stride1;
                        end else begin
                            inner_index <= inner_index + 12'd1;
                            row_address <= row_address + stride0;
                        end
                    end
                end
            end
        endmodule

        """;
}
