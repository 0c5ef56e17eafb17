//! `kpreview lock`: resolve snapshot tag selectors through EC2 into `preview.lock`.
