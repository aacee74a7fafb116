-- Block I/O: io.weight, and io.max in canonical text ("8:0 rbps=1048576;7:0 wiops=100").
ALTER TABLE groups ADD COLUMN io_weight INTEGER CHECK (io_weight BETWEEN 1 AND 10000);
ALTER TABLE groups ADD COLUMN io_max TEXT;
