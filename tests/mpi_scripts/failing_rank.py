"""Run under ``mpirun -np 2 python -m mpi4py``: rank 1 raises while rank 0 waits in a barrier.
Under ``python -m mpi4py`` the uncaught error aborts the whole job (non-zero exit) instead of leaving
rank 0 waiting for ever."""

import brickwork.distributed as hvd

hvd.init()
if hvd.rank() == 1:
    raise ValueError("rank 1 failed on purpose")
hvd.world().barrier()
