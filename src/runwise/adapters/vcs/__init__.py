"""Where a run's code came from: git work trees and GitHub."""
