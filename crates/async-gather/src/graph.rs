//! [`TaskGraph`]: dask's `delayed` graphs on a [`LocalCluster`]. A task is
//! submitted with the [`Node`]s it depends on; it starts as soon as all of
//! them have a value, and its own value is shared by every task that needs
//! it (a diamond runs its top once). A task that fails, panics or is
//! cancelled fails every task downstream of it with a [`GraphError`] that
//! names it.
//!
//! A cycle cannot be built: a task can only depend on nodes that already
//! exist, and a node's inputs are fixed when it is created.
//!
//! The `task_graph` example builds load → clean ×2 → combine:
//! `cargo run -p async-gather --example task_graph`.

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures_util::future::{self, BoxFuture, FutureExt, Shared};
use tokio::runtime::Handle;
use tokio::task::{AbortHandle, JoinHandle};

use crate::cluster::LocalCluster;
use crate::schedulers::hand_off;
use crate::task_error::TaskError;

/// Why a task of the graph has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// The task itself panicked or was cancelled.
    #[error("{0}")]
    Task(TaskError),
    /// The task's function returned this error (its `Display`).
    #[error("returned an error: {0}")]
    Returned(String),
}

// ANCHOR: graph_error
/// A task of the graph has no value: `failed` is the task where it went
/// wrong (`task` itself, or a task upstream of it) and `cause` says how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct GraphError {
    /// The task whose value was asked for.
    pub task: String,
    /// The task that failed: `task`, or one it depends on (directly or not).
    pub failed: String,
    /// What happened to `failed`.
    pub cause: Cause,
}
// ANCHOR_END: graph_error

impl GraphError {
    fn own(task: &str, cause: Cause) -> Self {
        GraphError {
            task: task.to_owned(),
            failed: task.to_owned(),
            cause,
        }
    }

    /// The same failure, as seen by `task` downstream of it.
    fn reached(self, task: &str) -> Self {
        GraphError {
            task: task.to_owned(),
            ..self
        }
    }

    fn describe(&self) -> String {
        if self.task == self.failed {
            format!("task `{}` {}", self.task, self.cause)
        } else {
            let (task, failed, cause) = (&self.task, &self.failed, &self.cause);
            format!("task `{task}` did not run: its input `{failed}` {cause}")
        }
    }
}

/// What every clone of a node shares: the task's value or its failure.
type Outcome<T> = Result<Arc<T>, GraphError>;

// ANCHOR: node
/// A task of a [`TaskGraph`]: a future of its shared value. Clone it to give
/// it to several dependants or to await it more than once; every clone sees
/// the same `Arc` of the one value. When the last clone is dropped (yours
/// and those held by tasks still waiting for it), the task is cancelled.
pub struct Node<T> {
    name: Arc<str>,
    value: Shared<BoxFuture<'static, Outcome<T>>>,
    abort: AbortHandle,
}
// ANCHOR_END: node

impl<T> Clone for Node<T> {
    fn clone(&self) -> Self {
        Node {
            name: Arc::clone(&self.name),
            value: self.value.clone(),
            abort: self.abort.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Node<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("name", &self.name).finish()
    }
}

impl<T> Node<T> {
    /// The name the task was submitted with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Cancels the task (if it has not finished): it, and every task
    /// downstream of it, fails with [`TaskError::Cancelled`] naming it.
    pub fn cancel(&self) {
        self.abort.abort();
    }
}

impl<T> Future for Node<T> {
    type Output = Outcome<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.value).poll(cx)
    }
}

/// The spawned task behind a node, aborted when its last waiter is gone
/// (dropping a tokio `JoinHandle` alone would let it run on).
struct Running<T> {
    name: Arc<str>,
    join: JoinHandle<Outcome<T>>,
}

impl<T> Future for Running<T> {
    type Output = Outcome<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.join)
            .poll(cx)
            .map(|joined| match joined {
                Ok(outcome) => outcome,
                // The task body catches panics (`hand_off`): this is an abort.
                Err(_) => Err(GraphError::own(
                    &self.name,
                    Cause::Task(TaskError::Cancelled),
                )),
            })
    }
}

impl<T> Drop for Running<T> {
    fn drop(&mut self) {
        self.join.abort(); // does nothing once the task has finished
    }
}

// ANCHOR: inputs
/// What a task can depend on: nothing `()`, one node `&a`, a tuple of two or
/// three nodes `(&a, &b)`, or a slice of nodes of one type `&nodes[..]`. The
/// task's function receives their values ([`Inputs::Values`]) as `Arc`s.
pub trait Inputs {
    /// The values handed to the task: `()`, `Arc<A>`, `(Arc<A>, Arc<B>)`,
    /// `(Arc<A>, Arc<B>, Arc<C>)` or `Vec<Arc<A>>`.
    type Values: Send + 'static;

    /// A future of every input's value, or the first failure among them.
    fn ready(&self) -> BoxFuture<'static, Result<Self::Values, GraphError>>;
}
// ANCHOR_END: inputs

impl Inputs for () {
    type Values = ();

    fn ready(&self) -> BoxFuture<'static, Result<(), GraphError>> {
        future::ready(Ok(())).boxed()
    }
}

impl<A: Send + Sync + 'static> Inputs for &Node<A> {
    type Values = Arc<A>;

    fn ready(&self) -> BoxFuture<'static, Result<Arc<A>, GraphError>> {
        self.value.clone().boxed()
    }
}

impl<A, B> Inputs for (&Node<A>, &Node<B>)
where
    A: Send + Sync + 'static,
    B: Send + Sync + 'static,
{
    type Values = (Arc<A>, Arc<B>);

    fn ready(&self) -> BoxFuture<'static, Result<Self::Values, GraphError>> {
        future::try_join(self.0.value.clone(), self.1.value.clone()).boxed()
    }
}

impl<A, B, C> Inputs for (&Node<A>, &Node<B>, &Node<C>)
where
    A: Send + Sync + 'static,
    B: Send + Sync + 'static,
    C: Send + Sync + 'static,
{
    type Values = (Arc<A>, Arc<B>, Arc<C>);

    fn ready(&self) -> BoxFuture<'static, Result<Self::Values, GraphError>> {
        let (a, b, c) = self;
        future::try_join3(a.value.clone(), b.value.clone(), c.value.clone()).boxed()
    }
}

impl<A: Send + Sync + 'static> Inputs for &[Node<A>] {
    type Values = Vec<Arc<A>>;

    fn ready(&self) -> BoxFuture<'static, Result<Vec<Arc<A>>, GraphError>> {
        future::try_join_all(self.iter().map(|node| node.value.clone())).boxed()
    }
}

/// dask's `delayed` graph on a [`LocalCluster`]: tasks run on the cluster's
/// CPU pool, each as soon as its inputs are ready. Cheap to clone; it does
/// not keep the cluster open: once the cluster is closed, tasks that have
/// not finished fail as cancelled.
///
/// A diamond: two tasks use `load`'s value, a fourth uses both of theirs.
/// ```
/// use async_gather::{LocalCluster, TaskGraph};
///
/// let cluster = LocalCluster::new(2)?;
/// let graph = TaskGraph::new(&cluster);
/// let load = graph.task("load", (), |()| vec![1.0, 2.0, 3.0]);
/// let sum = graph.task("sum", &load, |xs| xs.iter().sum::<f64>());
/// let len = graph.task("len", &load, |xs| xs.len() as f64);
/// let mean = graph.task("mean", (&sum, &len), |(s, n)| *s / *n);
/// assert_eq!(*graph.compute(&mean)?, 2.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// No cycle can be built: a task names its inputs when it is created, so
/// they must exist already. This does not compile:
/// ```compile_fail,E0425
/// # use async_gather::{LocalCluster, TaskGraph};
/// # let cluster = LocalCluster::new(1).unwrap();
/// # let graph = TaskGraph::new(&cluster);
/// let a = graph.task("a", &b, |b: std::sync::Arc<u32>| *b + 1);
/// let b = graph.task("b", &a, |a: std::sync::Arc<u32>| *a + 1);
/// ```
#[derive(Clone)]
pub struct TaskGraph {
    runtime: Handle,
    pool: Weak<rayon::ThreadPool>,
}

impl TaskGraph {
    /// A graph whose tasks run on `cluster`.
    pub fn new(cluster: &LocalCluster) -> Self {
        TaskGraph {
            runtime: cluster.handle().clone(),
            pool: Arc::downgrade(cluster.pool()),
        }
    }

    // ANCHOR: task
    /// Submits `f`, which gets the values of `inputs` once they are all
    /// ready: `graph.task("combine", (&a, &b), |(a, b)| *a + *b)`.
    pub fn task<I, T, F>(&self, name: &str, inputs: I, f: F) -> Node<T>
    where
        I: Inputs,
        F: FnOnce(I::Values) -> T + Send + 'static,
        T: Send + Sync + 'static,
    {
        self.try_task(name, inputs, move |values| {
            Ok::<T, std::convert::Infallible>(f(values))
        })
    }

    /// Like [`TaskGraph::task`], for a function that can fail: an `Err`
    /// fails this task and every task downstream with [`Cause::Returned`].
    pub fn try_task<I, T, E, F>(&self, name: &str, inputs: I, f: F) -> Node<T>
    where
        I: Inputs,
        F: FnOnce(I::Values) -> Result<T, E> + Send + 'static,
        E: Display,
        T: Send + Sync + 'static,
    {
        let name: Arc<str> = Arc::from(name);
        let ready = inputs.ready(); // holds a clone of each input until used
        let (pool, me) = (self.pool.clone(), Arc::clone(&name));
        let join = self.runtime.spawn(async move {
            let values = ready.await.map_err(|failed| failed.reached(&me))?;
            let own = |cause| GraphError::own(&me, cause);
            let Some(pool) = pool.upgrade() else {
                return Err(own(Cause::Task(TaskError::Cancelled))); // closed
            };
            let run = hand_off(&pool, move || f(values).map_err(|e| e.to_string()));
            drop(pool);
            match run.await {
                Ok(Ok(value)) => Ok(Arc::new(value)),
                Ok(Err(message)) => Err(own(Cause::Returned(message))),
                Err(error) => Err(own(Cause::Task(error))),
            }
        });
        let abort = join.abort_handle();
        let running = Running {
            name: Arc::clone(&name),
            join,
        };
        Node {
            name,
            value: running.boxed().shared(),
            abort,
        }
    }
    // ANCHOR_END: task

    /// dask's `.compute()`: blocks until `node` has its value. Call it from
    /// ordinary (not async) code; in async code, await the node instead.
    pub fn compute<T>(&self, node: &Node<T>) -> Outcome<T> {
        self.runtime.block_on(node.clone())
    }
}
