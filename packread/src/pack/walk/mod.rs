//! Walking a pack's delta trees base first: every entry inflated once,
//! every delta applied once to its base held in memory, the trees shared
//! out between threads. Verification walks them so
//! ([`Odb::verify_pack`](crate::Odb::verify_pack)), and so does the
//! cheapest read of every object ([`Odb::for_each_object`](crate::Odb::for_each_object)).
//! Pack order decodes each entry once too, inflating ahead on several threads
//! ([`Odb::for_each_in_pack_order`](crate::Odb::for_each_in_pack_order)).

pub(crate) mod base_first;
pub(crate) mod headers;
pub(crate) mod pack_order;
pub(crate) mod read_ahead;
pub(crate) mod thread_stretches;
pub(crate) mod tree;
pub(crate) mod work_stack;
