// Promise.withResolvers for Node 20 (it is built in from Node 22): js-ipfs 0.66 locks its repo
// through mortice, whose dependency it-queue calls it. Loaded with `node -r` by daemon.sh.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}
