//! Running a file job from Python: on a thread of its own, while the calling
//! thread (the one Python runs signal handlers on) watches for Ctrl-C and
//! calls the progress callable. Without it, a job of many minutes could not be
//! stopped from a terminal or a notebook until it ended.

use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use corpus_core::Error;
use corpus_core::pipeline::{Progress, Step};
use pyo3::prelude::*;

use crate::errors::to_py;

/// How often the calling thread looks for a signal while the job works
/// between two steps (clustering, writing).
const WATCH: Duration = Duration::from_millis(100);

/// Runs `job` on a thread of its own, the GIL released, until it ends. At each
/// [`Step`] the job waits for the calling thread, which looks for a signal and
/// then hands the step to `progress` as `(step, records)`: `"count"`,
/// `"read"`, `"cluster"` or `"write"`, and the records counted or read so far.
/// A signal (Ctrl-C: `KeyboardInterrupt`) or an exception raised by `progress`
/// stops the job at its next step ([`Error::Interrupted`]) and is raised here.
pub(crate) fn interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    job: impl FnOnce(Progress<'_>) -> corpus_core::Result<T> + Send,
) -> PyResult<T> {
    let (to_caller, steps) = mpsc::channel::<Step>();
    let (to_job, answers) = mpsc::channel::<ControlFlow<()>>();
    let mut raised: Option<PyErr> = None;
    let result = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            // A receiver is not `Sync`; steps come one at a time anyway.
            let answers = Mutex::new(answers);
            let on_step = |step: Step| {
                let answer = match answers.lock() {
                    Ok(a) if to_caller.send(step).is_ok() => a.recv().ok(),
                    _ => None,
                };
                answer.unwrap_or(ControlFlow::Break(()))
            };
            job(&on_step)
            // `to_caller` goes with the closure: the caller sees the end.
        });
        let steps = Mutex::new(steps); // lent to the GIL-free wait below
        let next = || match steps.lock() {
            Ok(s) => s.recv_timeout(WATCH),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        let mut records = 0;
        loop {
            let step = match py.detach(next) {
                Ok(step) => step,
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = py.check_signals() {
                        raised.get_or_insert(e);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            if raised.is_none()
                && let Err(e) = py.check_signals()
            {
                raised = Some(e);
            }
            if let (None, Some(f)) = (&raised, &progress) {
                let (name, n) = match step {
                    Step::Count(n) => ("count", n),
                    Step::Read(n) => {
                        records = n;
                        ("read", n)
                    }
                    Step::Cluster => ("cluster", records),
                    Step::Write => ("write", records),
                };
                if let Err(e) = f.call1(py, (name, n)) {
                    raised = Some(e);
                }
            }
            let answer = match raised {
                Some(_) => ControlFlow::Break(()),
                None => ControlFlow::Continue(()),
            };
            // The job ends only after its last step is answered.
            let _ = to_job.send(answer);
        }
        worker.join()
    });
    let result = match result {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    match (result, raised) {
        // Stopped for it, or it came after the last step (the job ended, its
        // output written): either way the signal or exception is not lost.
        (Err(Error::Interrupted) | Ok(_), Some(e)) => Err(e),
        (r, _) => r.map_err(to_py),
    }
}
