-- Migration 5: a signature records the failure mode of the diagnosis it came from (NULL when the
-- diagnosis found no failure), so the trace list can name it next to the OTel status.
ALTER TABLE signatures ADD COLUMN failure_mode TEXT;
-- Before, `detector` held the diagnosis' failure mode when it found a failure, else the id of a
-- lesser finding's detector, else `error`. Failure modes with an underscore are never detector
-- ids (those are kebab-case), so such a signature came from a diagnosed failure.
UPDATE signatures SET failure_mode = detector WHERE instr(detector, '_') > 0;
-- A kebab-case name is both a detector id and that detector's failure mode: which one cannot be
-- told, so those traces are analysed again (by the server's worker, or any command that reads
-- signatures). `error` is never a failure mode. Traces without a signature were healthy.
DELETE FROM analysed WHERE trace_id IN
    (SELECT trace_id FROM signatures WHERE failure_mode IS NULL AND detector != 'error');
