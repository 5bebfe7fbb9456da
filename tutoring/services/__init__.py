"""Operations that change several things at once; callers own the commit unless a function says otherwise."""
